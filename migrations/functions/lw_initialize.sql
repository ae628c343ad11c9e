-- Initialize (docs/protocol.md §7, type 0) from the cool-down check on, in one round trip.
-- status 0 = the IP is cooling down (close 4201) with cooldown_seconds left.
-- The app's signed_leases comes along so the session knows it without another read.
-- p_resume_hash: the SHA-256 of the socket's Resume-Id token (NULL with resumption off).
DROP FUNCTION IF EXISTS lw_initialize (uuid, uuid, text, text, text);
DROP FUNCTION IF EXISTS lw_initialize (uuid, uuid, text, text, text, bytea);
CREATE FUNCTION lw_initialize (
  p_session uuid, p_instance uuid, p_api_key text, p_client_id text, p_ip text, p_resume_hash bytea
) RETURNS TABLE (
  status integer, app_id bigint, app_name text, app_version text, cooldown_seconds integer, signed_leases boolean
)
LANGUAGE plpgsql AS $$
DECLARE
  a apps%ROWTYPE;
  left_s integer;
BEGIN
  SELECT ceil(extract(epoch FROM c.until - clock_timestamp()))::integer INTO left_s
    FROM ip_cooldowns c WHERE c.ip = p_ip AND c.until > clock_timestamp();
  IF FOUND THEN
    RETURN QUERY SELECT 0, NULL::bigint, NULL::text, NULL::text, greatest(left_s, 1), NULL::boolean;
    RETURN;
  END IF;
  IF p_api_key IS NULL THEN
    -- The caller already knows the answer; it only asked about the cool-down.
    RETURN QUERY SELECT -1, NULL::bigint, NULL::text, NULL::text, NULL::integer, NULL::boolean;
    RETURN;
  END IF;
  SELECT * INTO a FROM apps WHERE websocket_api_key = p_api_key;
  IF NOT FOUND THEN
    RETURN QUERY SELECT 600, NULL::bigint, NULL::text, NULL::text, NULL::integer, NULL::boolean;
  ELSIF a.paused THEN
    RETURN QUERY SELECT 601, a.id, NULL::text, NULL::text, NULL::integer, NULL::boolean;
  ELSIF EXISTS (SELECT 1 FROM client_blacklist b WHERE b.app_id = a.id AND b.client_id = p_client_id) THEN
    RETURN QUERY SELECT 503, a.id, NULL::text, NULL::text, NULL::integer, NULL::boolean;
  ELSIF a.authorized_sessions >= a.session_limit THEN
    RETURN QUERY SELECT 602, a.id, NULL::text, NULL::text, NULL::integer, NULL::boolean;
  ELSE
    INSERT INTO sessions (id, instance_id, app_id, client_id, ip_address, resume_hash)
      VALUES (p_session, p_instance, a.id, p_client_id, p_ip, p_resume_hash);
    RETURN QUERY SELECT 1, a.id, a.name, a.version, NULL::integer, a.signed_leases;
  END IF;
END
$$;
