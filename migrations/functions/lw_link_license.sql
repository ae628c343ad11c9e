-- Link a license to an account (docs/protocol.md §7, type 4, and the management
-- API): it must be in the app, unlinked, never activated and not blacklisted; the
-- link activates it. Answers the account's coverage afterwards. Two calls racing
-- for one license: the license row lock lets exactly one link it.
CREATE OR REPLACE FUNCTION lw_link_license (p_app bigint, p_account bigint, p_key text)
RETURNS TABLE (status integer, expires_at double precision, now double precision)
LANGUAGE plpgsql AS $$
DECLARE
  l licenses%ROWTYPE;
  t timestamptz := clock_timestamp();
  s integer;
  until timestamptz;
BEGIN
  -- Account first, then license, as in every call that links.
  PERFORM 1 FROM accounts WHERE id = p_account AND app_id = p_app FOR UPDATE;
  IF NOT FOUND THEN
    s := 200;
  ELSE
    SELECT * INTO l FROM licenses WHERE licenses.app_id = p_app AND key = p_key FOR UPDATE;
    IF NOT FOUND THEN s := 100;
    ELSIF l.account_id IS NOT NULL THEN s := 106;
    ELSIF l.activated_at IS NOT NULL THEN s := 107;
    ELSIF l.blacklisted_at IS NOT NULL THEN s := 105;
    ELSE
      -- A paused license keeps its full duration frozen until it is unpaused.
      UPDATE licenses SET account_id = p_account, activated_at = t,
          expires_at = coalesce(licenses.paused_at, t) + make_interval(secs => licenses.duration_seconds),
          updated_at = t
        WHERE id = l.id;
      s := 1;
    END IF;
  END IF;
  SELECT c.expires_at INTO until FROM lw_account_coverage(p_account, t) c;
  RETURN QUERY SELECT s, extract(epoch FROM until)::float8, extract(epoch FROM t)::float8;
END
$$;
