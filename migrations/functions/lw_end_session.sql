-- Ends a session: its row goes, and its slot with it when it held one.
CREATE OR REPLACE FUNCTION lw_end_session (p_session uuid) RETURNS boolean
LANGUAGE sql AS $$
  WITH s AS (
    DELETE FROM sessions WHERE id = p_session RETURNING app_id, authorized_at
  ), a AS (
    UPDATE apps SET authorized_sessions = authorized_sessions - 1
      FROM s WHERE apps.id = s.app_id AND s.authorized_at IS NOT NULL
      RETURNING 1
  )
  SELECT EXISTS (SELECT 1 FROM s)
$$;
