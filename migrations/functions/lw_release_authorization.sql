-- Drops a session's authorization and gives its quota slot back, exactly once.
CREATE OR REPLACE FUNCTION lw_release_authorization (p_session uuid) RETURNS boolean
LANGUAGE sql AS $$
  WITH s AS (
    UPDATE sessions SET license_id = NULL, account_id = NULL, authorized_at = NULL
      WHERE id = p_session AND authorized_at IS NOT NULL
      RETURNING app_id
  ), a AS (
    UPDATE apps SET authorized_sessions = authorized_sessions - 1
      FROM s WHERE apps.id = s.app_id
      RETURNING 1
  )
  SELECT EXISTS (SELECT 1 FROM a)
$$;
