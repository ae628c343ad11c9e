-- Graceful shutdown: give up every session of one instance at once.
CREATE OR REPLACE FUNCTION lw_retire_instance (p_instance uuid) RETURNS integer
LANGUAGE plpgsql AS $$
BEGIN
  UPDATE instances SET lease_expires_at = '-infinity' WHERE id = p_instance;
  RETURN lw_sweep_dead_instances(true);
END
$$;
