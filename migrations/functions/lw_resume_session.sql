-- Claims a suspended session for an instance (docs/protocol.md §9). Single use: the
-- row lock makes a second claim of the same token wait and then find nothing.
-- status 1: resumed, with the saved state and what the database says now about what
-- the session relies on (lw_session_states), so the resume needs no second trip;
-- 0: no such token, or its window ended; 2: the session may not resume (its app was
-- paused, or its client_id blacklisted meanwhile): it ends here, and its slot is freed.
-- That path locks the session row before its app row, the reverse of lw_end_sessions;
-- only an admin ending this same suspended session at this moment can meet it, and
-- Postgres then aborts one of the two (the client starts over, or the admin retries).
-- 3: the session is live on another instance (its socket not yet noticed dropped), with
-- that instance in `owner` and the session in `session_id`: the caller asks it to let
-- go, and claims again.
-- p_new_hash: the claiming socket's own token hash, which the session takes on.
-- `answers`: the session's last answers, one frame a line (NULL: none, or kept inside
-- `state` by an instance of the version before migration 013).
DROP FUNCTION IF EXISTS lw_resume_session (bytea, uuid);
DROP FUNCTION IF EXISTS lw_resume_session (bytea, uuid, bytea);
CREATE FUNCTION lw_resume_session (p_hash bytea, p_instance uuid, p_new_hash bytea)
RETURNS TABLE (status integer, state jsonb, answers text, found jsonb, owner uuid, session_id uuid)
LANGUAGE plpgsql AS $$
DECLARE
  s sessions%ROWTYPE;
  auth jsonb;
  now_found jsonb;
BEGIN
  SELECT * INTO s FROM sessions WHERE resume_hash = p_hash FOR UPDATE;
  IF NOT FOUND OR s.suspended_until <= clock_timestamp() OR (s.suspended_until IS NULL AND s.instance_id = p_instance) THEN
    RETURN QUERY SELECT 0, NULL::jsonb, NULL::text, NULL::jsonb, NULL::uuid, NULL::uuid;
    RETURN;
  END IF;
  IF s.suspended_until IS NULL THEN
    RETURN QUERY SELECT 3, NULL::jsonb, NULL::text, NULL::jsonb, s.instance_id, s.id;
    RETURN;
  END IF;
  auth := s.resume_state -> 'session' -> 'authorization';
  SELECT to_jsonb(f) INTO now_found FROM lw_session_states(jsonb_build_array(jsonb_build_object(
    'id', s.id::text, 'app_id', s.app_id, 'client_id', s.client_id,
    'license_id', CASE WHEN auth ->> 'kind' = 'license' THEN (auth ->> 'licenseId')::bigint END,
    'account_id', CASE WHEN auth ->> 'kind' = 'account' THEN (auth ->> 'accountId')::bigint END))) AS f;
  IF (now_found ->> 'app_paused')::boolean OR (now_found ->> 'client_blacklisted')::boolean THEN
    DELETE FROM sessions WHERE id = s.id;
    IF s.authorized_at IS NOT NULL THEN
      UPDATE apps SET authorized_sessions = authorized_sessions - 1 WHERE id = s.app_id;
    END IF;
    RETURN QUERY SELECT 2, NULL::jsonb, NULL::text, NULL::jsonb, NULL::uuid, NULL::uuid;
    RETURN;
  END IF;
  UPDATE sessions
     SET instance_id = p_instance, suspended_until = NULL, resume_hash = p_new_hash, resume_state = NULL, resume_answers = NULL,
         claimed_at = clock_timestamp()
   WHERE id = s.id;
  RETURN QUERY SELECT 1, s.resume_state, s.resume_answers, now_found, NULL::uuid, s.id;
END
$$;
