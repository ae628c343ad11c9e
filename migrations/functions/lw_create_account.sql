-- Create account (docs/protocol.md §7, type 1, and the management API) from the
-- app's checks on: requires-license, the per-IP limit, the accounts quota, the
-- login, the licenses; then the account and its links, all or nothing.
--
-- p_client_ip NULL: an administrator creates it, so neither "requires a license"
-- (204) nor the per-IP limit applies. p_hash NULL: only check, change nothing; the
-- server asks this before it spends a password hash on a call that would fail.
-- failed_key is the 1-based index in p_keys of the license that failed.
CREATE OR REPLACE FUNCTION lw_create_account (
  p_app bigint, p_login text, p_credentials_type integer, p_hash text, p_comment text,
  p_requires_license boolean, p_keys text[], p_client_ip text, p_ip_limit integer, p_ip_window_ms bigint
) RETURNS TABLE (status integer, account_id bigint, retry_after integer, failed_key integer)
LANGUAGE plpgsql AS $$
DECLARE
  ap apps%ROWTYPE;
  l licenses%ROWTYPE;
  t timestamptz := clock_timestamp();
  limited boolean := p_client_ip IS NOT NULL AND cardinality(p_keys) = 0;
  n integer;
  wait_s integer;
  ids bigint[] := '{}';
  s integer := 0;
  bad integer;
  new_id bigint;
BEGIN
  SELECT * INTO ap FROM apps WHERE id = p_app;
  IF NOT FOUND THEN
    RAISE EXCEPTION 'licensewire: app % not found', p_app USING ERRCODE = 'foreign_key_violation';
  END IF;
  IF limited AND ap.accounts_require_license THEN
    RETURN QUERY SELECT 204, NULL::bigint, NULL::integer, NULL::integer;
    RETURN;
  END IF;
  -- One creation of this app at a time, on every instance: the per-IP count and the
  -- accounts quota below are then exact. Authorizations do not take this lock.
  PERFORM pg_advisory_xact_lock(hashtextextended('licensewire:accounts:' || p_app, 0));
  IF limited THEN
    SELECT count(*) INTO n FROM account_creations c
      WHERE c.app_id = p_app AND c.ip = p_client_ip AND c.counts_until > t;
    IF n >= p_ip_limit THEN
      -- Until enough of them have aged out for one more.
      SELECT ceil(extract(epoch FROM c.counts_until - t))::integer INTO wait_s FROM account_creations c
        WHERE c.app_id = p_app AND c.ip = p_client_ip AND c.counts_until > t
        ORDER BY c.counts_until OFFSET n - p_ip_limit LIMIT 1;
      RETURN QUERY SELECT 5, NULL::bigint, greatest(wait_s, 1), NULL::integer;
      RETURN;
    END IF;
  END IF;
  IF (SELECT count(*) FROM accounts a WHERE a.app_id = p_app) >= ap.accounts_limit THEN
    RETURN QUERY SELECT 603, NULL::bigint, NULL::integer, NULL::integer;
    RETURN;
  END IF;
  FOR i IN 1 .. cardinality(p_keys) LOOP
    SELECT * INTO l FROM licenses WHERE licenses.app_id = p_app AND key = p_keys[i] FOR UPDATE;
    IF NOT FOUND THEN s := 100;
    ELSIF l.account_id IS NOT NULL THEN s := 106;
    ELSIF l.activated_at IS NOT NULL THEN s := 107;
    ELSIF l.blacklisted_at IS NOT NULL THEN s := 105;
    ELSE ids := ids || l.id;
    END IF;
    IF s <> 0 THEN
      bad := i;
      EXIT;
    END IF;
  END LOOP;
  IF s <> 0 OR p_hash IS NULL THEN
    -- A taken login is reported before a license's problem. The insert below does
    -- not rely on this look: the unique index decides.
    IF EXISTS (SELECT 1 FROM accounts a WHERE a.app_id = p_app AND lower(a.login) = lower(p_login)) THEN
      RETURN QUERY SELECT 202, NULL::bigint, NULL::integer, NULL::integer;
    ELSE
      RETURN QUERY SELECT CASE WHEN s = 0 THEN 1 ELSE s END, NULL::bigint, NULL::integer, bad;
    END IF;
    RETURN;
  END IF;
  INSERT INTO accounts (app_id, login, credentials_type, password_hash, comment, requires_license)
    VALUES (p_app, p_login, p_credentials_type, p_hash, p_comment, coalesce(p_requires_license, ap.accounts_require_license))
    ON CONFLICT (app_id, lower(login)) DO NOTHING
    RETURNING id INTO new_id;
  IF new_id IS NULL THEN
    RETURN QUERY SELECT 202, NULL::bigint, NULL::integer, NULL::integer;
    RETURN;
  END IF;
  -- A paused license keeps its full duration frozen until it is unpaused.
  UPDATE licenses SET account_id = new_id, activated_at = t,
      expires_at = coalesce(licenses.paused_at, t) + make_interval(secs => licenses.duration_seconds),
      updated_at = t
    WHERE id = ANY (ids);
  IF limited THEN
    INSERT INTO account_creations (app_id, ip, counts_until)
      VALUES (p_app, p_client_ip, t + make_interval(secs => p_ip_window_ms / 1000.0));
  END IF;
  RETURN QUERY SELECT 1, new_id, NULL::integer, NULL::integer;
END
$$;
