-- One length rule everywhere, the protocol's: UTF-16 code units (JavaScript's
-- `length`). The checks of 001, 005 and 006 counted code points with char_length, so
-- a 64-unit key of emoji passed the server and a 6-unit one failed the database.
-- The server checked these lengths in UTF-16 units already, so existing rows pass.

-- The same body as functions/lw_utf16_length.sql, which replaces it in this transaction.
CREATE OR REPLACE FUNCTION lw_utf16_length (p text) RETURNS integer
LANGUAGE sql IMMUTABLE STRICT PARALLEL SAFE AS $$
  SELECT char_length(p) + char_length(regexp_replace(p, '[^\U00010000-\U0010FFFF]', '', 'g'))
$$;

ALTER TABLE licenses DROP CONSTRAINT licenses_key_check,
  ADD CONSTRAINT licenses_key_check CHECK (lw_utf16_length(key) BETWEEN 6 AND 64);

ALTER TABLE accounts DROP CONSTRAINT accounts_login_check,
  ADD CONSTRAINT accounts_login_check CHECK (lw_utf16_length(login) BETWEEN 1 AND 320);

ALTER TABLE variables DROP CONSTRAINT variables_name_check,
  ADD CONSTRAINT variables_name_check CHECK (lw_utf16_length(name) BETWEEN 1 AND 64),
  DROP CONSTRAINT variables_content_check,
  ADD CONSTRAINT variables_content_check CHECK (lw_utf16_length(content) <= 16000);

-- A client_id is 4 to 64 units (packet 0, statuses 500/501; the management API too).
-- NOT VALID: the management API counted code points before, so an old entry of many
-- emoji may be longer; it stays, and every new one is checked.
ALTER TABLE client_blacklist
  ADD CONSTRAINT client_blacklist_client_id_check CHECK (lw_utf16_length(client_id) BETWEEN 4 AND 64) NOT VALID;
