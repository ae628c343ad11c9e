-- An administrator ends a suspended session (docs/admin-api.md, Sessions): its row and
-- slot go, and it can no longer be resumed. False when it is not suspended (it is live
-- on an instance, maybe resumed this instant: the caller then asks that instance to
-- close it). The app row is locked first, as lw_end_sessions does.
DROP FUNCTION IF EXISTS lw_end_suspended_session (bigint, uuid);
CREATE FUNCTION lw_end_suspended_session (p_app bigint, p_session uuid) RETURNS boolean
LANGUAGE plpgsql AS $$
DECLARE
  was_authorized boolean;
BEGIN
  PERFORM 1 FROM apps WHERE id = p_app FOR UPDATE;
  DELETE FROM sessions
   WHERE id = p_session AND app_id = p_app AND suspended_until IS NOT NULL
   RETURNING authorized_at IS NOT NULL INTO was_authorized;
  IF NOT FOUND THEN
    RETURN false;
  END IF;
  IF was_authorized THEN
    UPDATE apps SET authorized_sessions = authorized_sessions - 1 WHERE id = p_app;
  END IF;
  RETURN true;
END
$$;
