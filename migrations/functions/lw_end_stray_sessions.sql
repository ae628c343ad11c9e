-- Ends this instance's session rows that no socket of it holds any more (a release
-- that never reached the database). Rows younger than p_min_age_ms are left alone:
-- they may belong to sockets opened after the caller listed its live ones, and so may
-- rows this instance claimed (resumed) since. Suspended rows are no socket's
-- (docs/protocol.md §9).
CREATE OR REPLACE FUNCTION lw_end_stray_sessions (p_instance uuid, p_live uuid[], p_min_age_ms integer) RETURNS integer
LANGUAGE plpgsql AS $$
BEGIN
  RETURN lw_end_sessions(ARRAY(
    SELECT s.id FROM sessions s
     WHERE s.instance_id = p_instance AND s.id <> ALL (p_live) AND s.suspended_until IS NULL
       AND greatest(s.initialized_at, s.claimed_at) < clock_timestamp() - make_interval(secs => p_min_age_ms / 1000.0)));
END
$$;
