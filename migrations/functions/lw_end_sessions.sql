-- Ends many sessions in one statement: their rows go, and the slots of those that
-- held one. Closed sockets are released in batches through this, so a burst of
-- closes needs a few statements rather than one pool checkout per socket.
CREATE OR REPLACE FUNCTION lw_end_sessions (p_sessions uuid[]) RETURNS integer
LANGUAGE plpgsql AS $$
DECLARE
  n integer;
BEGIN
  -- The apps rows first, in id order: two batches locking the same apps in different
  -- orders could otherwise deadlock.
  PERFORM 1 FROM apps
    WHERE id IN (SELECT s.app_id FROM sessions s WHERE s.id = ANY (p_sessions) AND s.authorized_at IS NOT NULL)
    ORDER BY id FOR UPDATE;
  WITH s AS (
    DELETE FROM sessions WHERE id = ANY (p_sessions) RETURNING app_id, authorized_at
  ), freed AS (
    SELECT s.app_id, count(*)::integer AS n FROM s WHERE s.authorized_at IS NOT NULL GROUP BY s.app_id
  ), upd AS (
    UPDATE apps SET authorized_sessions = apps.authorized_sessions - freed.n
      FROM freed WHERE apps.id = freed.app_id
      RETURNING 1
  )
  SELECT count(*)::integer INTO n FROM s;
  RETURN n;
END
$$;
