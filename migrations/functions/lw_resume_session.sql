-- Claims a suspended session for an instance (docs/protocol.md §9). Single use: the
-- row lock makes a second claim of the same token wait and then find nothing.
-- status 1: resumed, with the saved state; 0: no such token, or its window ended;
-- 2: the session may not resume (its app was paused, or its client_id blacklisted
-- meanwhile): it ends here, and its slot is freed.
DROP FUNCTION IF EXISTS lw_resume_session (bytea, uuid);
CREATE FUNCTION lw_resume_session (p_hash bytea, p_instance uuid)
RETURNS TABLE (status integer, state jsonb)
LANGUAGE plpgsql AS $$
DECLARE
  s sessions%ROWTYPE;
BEGIN
  SELECT * INTO s FROM sessions
   WHERE resume_hash = p_hash AND suspended_until > clock_timestamp()
   FOR UPDATE;
  IF NOT FOUND THEN
    RETURN QUERY SELECT 0, NULL::jsonb;
    RETURN;
  END IF;
  IF EXISTS (SELECT 1 FROM apps a WHERE a.id = s.app_id AND a.paused)
     OR EXISTS (SELECT 1 FROM client_blacklist b WHERE b.app_id = s.app_id AND b.client_id = s.client_id) THEN
    DELETE FROM sessions WHERE id = s.id;
    IF s.authorized_at IS NOT NULL THEN
      UPDATE apps SET authorized_sessions = authorized_sessions - 1 WHERE id = s.app_id;
    END IF;
    RETURN QUERY SELECT 2, NULL::jsonb;
    RETURN;
  END IF;
  UPDATE sessions
     SET instance_id = p_instance, suspended_until = NULL, resume_hash = NULL, resume_state = NULL
   WHERE id = s.id;
  RETURN QUERY SELECT 1, s.resume_state;
END
$$;
