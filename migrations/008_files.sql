-- Files (docs/protocol.md §8): bytes an app publishes to its clients, kept in
-- Postgres in fixed-size chunks so every instance serves every file and nothing
-- else (no shared volume) has to run.

ALTER TABLE apps ADD COLUMN file_storage_limit_mib integer NOT NULL DEFAULT 1024
  CHECK (file_storage_limit_mib >= 0);

-- One upload. A file name points at one version at a time (files.version_id); a
-- version that was replaced, or whose file was deleted, is retired and its bytes are
-- swept once no download in progress can still be reading them.
CREATE TABLE file_versions (
  id         bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
  app_id     bigint NOT NULL REFERENCES apps (id) ON DELETE CASCADE,
  -- Every chunk but the last holds exactly this many bytes, so a byte offset names
  -- its chunk without reading the ones before it.
  chunk_size integer NOT NULL CHECK (chunk_size > 0),
  size       bigint NOT NULL DEFAULT 0 CHECK (size >= 0),
  -- SHA-256 of the whole file; NULL only inside the upload's own transaction.
  checksum   text CHECK (checksum ~ '^[0-9a-f]{64}$'),
  created_at timestamptz NOT NULL DEFAULT now(),
  retired_at timestamptz,
  -- Renewed by a download that runs long, so a retired version outlives every
  -- download that started before it was retired.
  held_until timestamptz
);
CREATE INDEX file_versions_retired_idx ON file_versions (retired_at) WHERE retired_at IS NOT NULL;

CREATE TABLE file_chunks (
  version_id bigint NOT NULL REFERENCES file_versions (id) ON DELETE CASCADE,
  seq        integer NOT NULL CHECK (seq >= 0),
  data       bytea NOT NULL,
  PRIMARY KEY (version_id, seq)
);
-- Installers and archives are compressed already: out of line, without another try.
ALTER TABLE file_chunks ALTER COLUMN data SET STORAGE EXTERNAL;

CREATE TABLE files (
  app_id              bigint NOT NULL REFERENCES apps (id) ON DELETE CASCADE,
  name                text NOT NULL,
  version_id          bigint NOT NULL UNIQUE REFERENCES file_versions (id),
  transfer_count      bigint NOT NULL DEFAULT 0,
  last_transferred_at timestamptz,
  PRIMARY KEY (app_id, name)
);

-- Secrets every instance must share, created by whichever instance starts first
-- (the key that signs file download URLs).
CREATE TABLE server_secrets (
  name       text PRIMARY KEY,
  value      bytea NOT NULL,
  created_at timestamptz NOT NULL DEFAULT now()
);
