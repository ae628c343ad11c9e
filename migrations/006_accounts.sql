-- Accounts ("app users", docs/protocol.md §7): an account belongs to one app, logs
-- in with a login and a password kept only as an argon2id hash, and is covered by
-- the licenses linked to it. Sessions may be authorized by an account instead of a
-- license; such a session holds a quota slot exactly like a license one.

ALTER TABLE apps
  ADD COLUMN accounts_limit integer NOT NULL DEFAULT 10000 CHECK (accounts_limit >= 0),
  ADD COLUMN accounts_require_license boolean NOT NULL DEFAULT false;

CREATE TABLE accounts (
  id                bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
  app_id            bigint NOT NULL REFERENCES apps (id) ON DELETE CASCADE,
  -- 4–320 UTF-16 code units is checked by the server; Postgres counts code points.
  login             text NOT NULL CHECK (char_length(login) BETWEEN 1 AND 320),
  credentials_type  smallint NOT NULL CHECK (credentials_type IN (0, 1)),
  password_hash     text NOT NULL,
  comment           text,
  requires_license  boolean NOT NULL,
  blacklisted_at    timestamptz,
  blacklist_comment text,
  ip_address        text,
  last_login_at     timestamptz,
  created_at        timestamptz NOT NULL DEFAULT now(),
  updated_at        timestamptz NOT NULL DEFAULT now()
);
-- Logins are unique per app whatever their case: the index decides, so two
-- concurrent creations of "Ann" and "ann" cannot both succeed.
CREATE UNIQUE INDEX accounts_app_login_key ON accounts (app_id, lower(login));
-- Keyset pagination of the management API.
CREATE INDEX accounts_app_id_idx ON accounts (app_id, id);

-- A license has at most one account; deleting the account unlinks its licenses.
ALTER TABLE licenses ADD COLUMN account_id bigint REFERENCES accounts (id) ON DELETE SET NULL;
CREATE INDEX licenses_account_idx ON licenses (account_id) WHERE account_id IS NOT NULL;

-- An account-authorized session. Like license_id, the row keeps its quota slot when
-- the account is deleted until the instance holding the socket drops it.
ALTER TABLE sessions ADD COLUMN account_id bigint REFERENCES accounts (id) ON DELETE SET NULL;
CREATE INDEX sessions_account_idx ON sessions (account_id) WHERE account_id IS NOT NULL;

-- Accounts created without a license, per app and client IP, for the per-IP limit.
-- A row counts until counts_until; the sweep removes it after that.
CREATE TABLE account_creations (
  app_id       bigint NOT NULL REFERENCES apps (id) ON DELETE CASCADE,
  ip           text NOT NULL,
  counts_until timestamptz NOT NULL
);
CREATE INDEX account_creations_ip_idx ON account_creations (app_id, ip, counts_until);
CREATE INDEX account_creations_until_idx ON account_creations (counts_until);
