-- Suspends dropped sessions of one instance in one statement (docs/protocol.md §9):
-- each row keeps its quota slot, takes the hash of its Resume-Id token, its state
-- and last answers, and a deadline. Rows gone meanwhile (an admin ended them, the app
-- was deleted) are skipped. Returns how many were suspended.
CREATE OR REPLACE FUNCTION lw_suspend_sessions (p_instance uuid, p_sessions jsonb, p_window_ms integer) RETURNS integer
LANGUAGE plpgsql AS $$
DECLARE
  n integer;
BEGIN
  UPDATE sessions s
     SET suspended_until = clock_timestamp() + make_interval(secs => p_window_ms / 1000.0),
         resume_hash = decode(x.hash, 'hex'),
         resume_state = x.state
    FROM jsonb_to_recordset(p_sessions) AS x (id uuid, hash text, state jsonb)
   WHERE s.id = x.id AND s.instance_id = p_instance AND s.suspended_until IS NULL;
  GET DIAGNOSTICS n = ROW_COUNT;
  RETURN n;
END
$$;
