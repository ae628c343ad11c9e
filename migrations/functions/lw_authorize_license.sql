-- Authorize by license (docs/protocol.md §7, type 2) from step 3 on: lookup, checks,
-- quota slot, activation and binding, all or nothing.
--
-- The license is updated before the session row is marked: the licenses trigger
-- (lw_license_changed) announces a change only to other holders of the license,
-- and the authorizing instance evicts its own cached copy.
CREATE OR REPLACE FUNCTION lw_authorize_license (
  p_session uuid, p_app bigint, p_key text, p_client_id text, p_ip text
) RETURNS TABLE (
  status integer, levels jsonb, comment text, ip_address text,
  expires_at double precision, paused_at double precision, now double precision,
  activated_now boolean, license_id bigint
)
LANGUAGE plpgsql AS $$
DECLARE
  l licenses%ROWTYPE;
  t timestamptz := clock_timestamp();
  s integer;
  fresh boolean := false;
BEGIN
  SELECT * INTO l FROM licenses WHERE licenses.app_id = p_app AND key = p_key FOR UPDATE;
  IF NOT FOUND THEN
    RETURN QUERY SELECT 100, NULL::jsonb, NULL::text, NULL::text, NULL::float8, NULL::float8,
      extract(epoch FROM t)::float8, false, NULL::bigint;
    RETURN;
  END IF;
  IF l.blacklisted_at IS NOT NULL THEN s := 105;
  ELSIF l.paused_at IS NOT NULL THEN s := 104;
  ELSIF l.client_id IS NOT NULL AND l.client_id <> p_client_id THEN s := 502;
  ELSIF l.activated_at IS NOT NULL AND (l.expires_at IS NULL OR l.expires_at <= t) THEN s := 103;
  ELSE
    UPDATE apps SET authorized_sessions = authorized_sessions + 1
      WHERE id = p_app AND authorized_sessions < session_limit;
    IF NOT FOUND THEN
      s := 602;
    ELSE
      fresh := l.activated_at IS NULL;
      -- Before the session row below: the licenses trigger must not count this session.
      UPDATE licenses SET
          activated_at = coalesce(licenses.activated_at, t),
          expires_at = CASE WHEN licenses.activated_at IS NULL
                            THEN t + make_interval(secs => licenses.duration_seconds)
                            ELSE licenses.expires_at END,
          client_id = coalesce(licenses.client_id, p_client_id),
          ip_address = p_ip,
          updated_at = t
        WHERE id = l.id
        RETURNING * INTO l;
      UPDATE sessions SET license_id = l.id, authorized_at = t
        WHERE id = p_session AND authorized_at IS NULL;
      IF NOT FOUND THEN
        -- The session row is gone (its instance lost its lease, or the app was
        -- deleted): undo the slot and the license change by failing the whole call.
        RAISE EXCEPTION 'licensewire: session % is not live', p_session;
      END IF;
      s := 1;
    END IF;
  END IF;
  RETURN QUERY SELECT s, l.levels, l.comment, l.ip_address,
    extract(epoch FROM l.expires_at)::float8, extract(epoch FROM l.paused_at)::float8,
    extract(epoch FROM t)::float8, fresh, l.id;
END
$$;
