-- Suspends dropped sessions of one instance in one statement (docs/protocol.md §9):
-- each row keeps its quota slot, takes the hash of its Resume-Id token, its state, its
-- last answers and a deadline. p_answers holds the sessions' answers in their order in
-- p_sessions, separated by the record separator (U+001E), which JSON text never holds
-- raw. Rows gone meanwhile (an admin ended them, the app was deleted) are skipped.
-- Returns how many were suspended.
CREATE OR REPLACE FUNCTION lw_suspend_sessions (p_instance uuid, p_sessions jsonb, p_window_ms integer, p_answers text)
RETURNS integer
LANGUAGE plpgsql AS $$
DECLARE
  answers text[] := string_to_array(p_answers, chr(30));
  n integer;
BEGIN
  UPDATE sessions s
     SET suspended_until = clock_timestamp() + make_interval(secs => p_window_ms / 1000.0),
         resume_hash = decode(x.hash, 'hex'),
         resume_state = x.state,
         resume_answers = answers[x.n]
    FROM ROWS FROM (jsonb_to_recordset(p_sessions) AS (id uuid, hash text, state jsonb)) WITH ORDINALITY AS x (id, hash, state, n)
   WHERE s.id = x.id AND s.instance_id = p_instance AND s.suspended_until IS NULL;
  GET DIAGNOSTICS n = ROW_COUNT;
  RETURN n;
END
$$;
