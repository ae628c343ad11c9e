-- Authorize by credentials (docs/protocol.md §7, type 3) once the password matched:
-- the account's checks, the optional license and its link, the coverage check, the
-- quota slot, the account's IP and the session's authorization, all or nothing.
-- A rejection changes nothing. The answer is the account as stored afterwards, with
-- the key of the license that covers it (for a signed lease).
DROP FUNCTION IF EXISTS lw_authorize_account (uuid, bigint, bigint, text, text);
CREATE FUNCTION lw_authorize_account (
  p_session uuid, p_app bigint, p_account bigint, p_key text, p_ip text
) RETURNS TABLE (
  status integer, login text, comment text, ip_address text, requires_license boolean,
  levels jsonb, expires_at double precision, now double precision, license_key text
)
LANGUAGE plpgsql AS $$
DECLARE
  a accounts%ROWTYPE;
  l licenses%ROWTYPE;
  t timestamptz := clock_timestamp();
  s integer := 1;
  link boolean := false;
  until timestamptz;
  lv jsonb;
  covering text;
BEGIN
  -- Locked first, as in every call that links: account, then license.
  SELECT * INTO a FROM accounts WHERE id = p_account AND app_id = p_app FOR UPDATE;
  IF NOT FOUND THEN
    -- Deleted since its password was checked: as if it had never existed.
    RETURN QUERY SELECT 200, NULL::text, NULL::text, NULL::text, NULL::boolean, NULL::jsonb,
      NULL::float8, extract(epoch FROM t)::float8, NULL::text;
    RETURN;
  END IF;
  IF a.blacklisted_at IS NOT NULL THEN
    s := 201;
  ELSIF p_key IS NOT NULL THEN
    SELECT * INTO l FROM licenses WHERE licenses.app_id = p_app AND key = p_key FOR UPDATE;
    IF NOT FOUND THEN s := 100;
    ELSIF l.account_id = a.id THEN NULL; -- already this account's: accepted as it is
    ELSIF l.account_id IS NOT NULL THEN s := 106;
    ELSIF l.activated_at IS NOT NULL THEN s := 107;
    ELSIF l.blacklisted_at IS NOT NULL THEN s := 105;
    ELSE link := true;
    END IF;
  END IF;
  -- The license about to be linked counts: it is activated by the link, so it
  -- covers unless it is paused.
  IF s = 1 AND a.requires_license AND NOT (link AND l.paused_at IS NULL)
     AND NOT EXISTS (SELECT 1 FROM lw_account_coverage(a.id, t)) THEN
    s := 203;
  END IF;
  IF s = 1 THEN
    UPDATE apps SET authorized_sessions = authorized_sessions + 1
      WHERE id = p_app AND authorized_sessions < session_limit;
    IF NOT FOUND THEN s := 602; END IF;
  END IF;
  IF s = 1 THEN
    IF link THEN
      -- A paused license keeps its full duration frozen until it is unpaused.
      UPDATE licenses SET account_id = a.id, activated_at = t,
          expires_at = coalesce(licenses.paused_at, t) + make_interval(secs => licenses.duration_seconds),
          updated_at = t
        WHERE id = l.id;
    END IF;
    UPDATE accounts SET ip_address = p_ip, last_login_at = t WHERE id = a.id RETURNING * INTO a;
    UPDATE sessions SET account_id = a.id, authorized_at = t
      WHERE id = p_session AND authorized_at IS NULL;
    IF NOT FOUND THEN
      -- The session row is gone (its instance lost its lease, or the app was
      -- deleted): undo the slot and the link by failing the whole call.
      RAISE EXCEPTION 'licensewire: session % is not live', p_session;
    END IF;
  END IF;
  SELECT c.expires_at, c.levels, c.key INTO until, lv, covering FROM lw_account_coverage(a.id, t) c;
  RETURN QUERY SELECT s, a.login, a.comment, a.ip_address, a.requires_license, lv,
    extract(epoch FROM until)::float8, extract(epoch FROM t)::float8, covering;
END
$$;
