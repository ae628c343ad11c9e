-- A socket of the same instance took a session over in memory (docs/protocol.md §9):
-- the row takes on the new socket's token hash, and the caller learns in the same trip
-- what changed while the session was between sockets (lw_session_states).
DROP FUNCTION IF EXISTS lw_session_rehash (jsonb, bytea);
CREATE FUNCTION lw_session_rehash (p_session jsonb, p_hash bytea)
RETURNS SETOF jsonb
LANGUAGE plpgsql AS $$
BEGIN
  UPDATE sessions SET resume_hash = p_hash WHERE id = (p_session ->> 'id')::uuid;
  RETURN QUERY SELECT to_jsonb(f) FROM lw_session_states(jsonb_build_array(p_session)) AS f;
END
$$;
