-- Packets 6 (Blacklist) and 11 (Get variable): the app's cap on client-id blacklist
-- entries, who made each entry, and the app's variables.

ALTER TABLE apps
  ADD COLUMN blacklist_limit integer NOT NULL DEFAULT 10000 CHECK (blacklist_limit >= 0);

-- Entries made before this migration came from the management API.
ALTER TABLE client_blacklist
  ADD COLUMN source text NOT NULL DEFAULT 'admin' CHECK (source IN ('admin', 'client'));

-- Lengths are checked in UTF-16 code units by the server; char_length counts code
-- points, never more, so these checks only back them up.
CREATE TABLE variables (
  app_id     bigint NOT NULL REFERENCES apps (id) ON DELETE CASCADE,
  name       text NOT NULL CHECK (char_length(name) BETWEEN 1 AND 64),
  content    text NOT NULL CHECK (char_length(content) <= 16000),
  protected  boolean NOT NULL DEFAULT false,
  created_at timestamptz NOT NULL DEFAULT now(),
  updated_at timestamptz NOT NULL DEFAULT now(),
  PRIMARY KEY (app_id, name)
);
