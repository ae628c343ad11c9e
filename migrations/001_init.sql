-- Apps, licenses, the client-id blacklist, live sessions with instance leases,
-- and per-IP rate-limit cool-downs. The functions over them are in
-- migrations/functions/, one file each.

CREATE TABLE apps (
  id                  bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
  name                text NOT NULL,
  version             text NOT NULL DEFAULT '1.0.0',
  websocket_api_key   text NOT NULL UNIQUE CHECK (char_length(websocket_api_key) = 21),
  paused              boolean NOT NULL DEFAULT false,
  session_limit       integer NOT NULL DEFAULT 100 CHECK (session_limit >= 0),
  -- Authorized sessions holding a quota slot. Every change is tied to one session
  -- row changing state in the same statement, so it cannot drift.
  authorized_sessions integer NOT NULL DEFAULT 0 CHECK (authorized_sessions >= 0),
  created_at          timestamptz NOT NULL DEFAULT now(),
  updated_at          timestamptz NOT NULL DEFAULT now()
);

CREATE TABLE licenses (
  id                bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
  app_id            bigint NOT NULL REFERENCES apps (id) ON DELETE CASCADE,
  key               text NOT NULL CHECK (char_length(key) BETWEEN 6 AND 64),
  levels            jsonb NOT NULL DEFAULT '{}' CHECK (jsonb_typeof(levels) = 'object'),
  comment           text,
  duration_seconds  bigint NOT NULL CHECK (duration_seconds > 0),
  activated_at      timestamptz,
  expires_at        timestamptz,
  -- While paused, the remaining time is frozen at expires_at - paused_at;
  -- unpausing moves expires_at forward by the paused span.
  paused_at         timestamptz,
  blacklisted_at    timestamptz,
  blacklist_comment text,
  client_id         text,
  ip_address        text,
  created_at        timestamptz NOT NULL DEFAULT now(),
  updated_at        timestamptz NOT NULL DEFAULT now(),
  UNIQUE (app_id, key)
);

CREATE TABLE client_blacklist (
  app_id     bigint NOT NULL REFERENCES apps (id) ON DELETE CASCADE,
  client_id  text NOT NULL,
  comment    text,
  created_at timestamptz NOT NULL DEFAULT now(),
  PRIMARY KEY (app_id, client_id)
);

-- One row per running server instance; its sessions count while its lease holds.
CREATE TABLE instances (
  id               uuid PRIMARY KEY,
  started_at       timestamptz NOT NULL DEFAULT now(),
  lease_expires_at timestamptz NOT NULL
);

CREATE TABLE sessions (
  id             uuid PRIMARY KEY,
  instance_id    uuid NOT NULL,
  app_id         bigint NOT NULL REFERENCES apps (id) ON DELETE CASCADE,
  client_id      text NOT NULL,
  ip_address     text,
  license_id     bigint REFERENCES licenses (id) ON DELETE SET NULL,
  initialized_at timestamptz NOT NULL DEFAULT now(),
  authorized_at  timestamptz
);
CREATE INDEX sessions_app_idx ON sessions (app_id);
CREATE INDEX sessions_instance_idx ON sessions (instance_id);
CREATE INDEX sessions_license_idx ON sessions (license_id) WHERE license_id IS NOT NULL;

CREATE TABLE ip_cooldowns (
  ip    text PRIMARY KEY,
  until timestamptz NOT NULL
);
