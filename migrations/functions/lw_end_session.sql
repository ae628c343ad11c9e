-- Ends one session: its row goes, and its slot with it when it held one.
-- plpgsql, not sql: its body is checked when called, so file order does not matter.
CREATE OR REPLACE FUNCTION lw_end_session (p_session uuid) RETURNS boolean
LANGUAGE plpgsql AS $$
BEGIN
  RETURN lw_end_sessions(ARRAY[p_session]) > 0;
END
$$;
