-- Removes instances whose lease ran out, with their sessions and slots, and suspended
-- sessions whose resume window ended. A suspended session belongs to no instance
-- (docs/protocol.md §9): it outlives the instance that suspended it.
-- One sweep at a time across all instances: two sweeps deleting the same rows in
-- different orders would deadlock. A periodic sweep skips its turn while another runs
-- (returning 0); a retiring instance (p_wait) waits for it, then sweeps its own rows.
DROP FUNCTION IF EXISTS lw_sweep_dead_instances ();
CREATE OR REPLACE FUNCTION lw_sweep_dead_instances (p_wait boolean DEFAULT false) RETURNS integer
LANGUAGE plpgsql AS $$
DECLARE
  n integer;
BEGIN
  IF p_wait THEN
    PERFORM pg_advisory_xact_lock(hashtext('licensewire:sweep'));
  ELSIF NOT pg_try_advisory_xact_lock(hashtext('licensewire:sweep')) THEN
    RETURN 0;
  END IF;
  WITH dead AS (
    DELETE FROM instances WHERE lease_expires_at < clock_timestamp() RETURNING id
  ), gone AS (
    DELETE FROM sessions s USING dead WHERE s.instance_id = dead.id AND s.suspended_until IS NULL
      RETURNING s.app_id, s.authorized_at
  ), freed AS (
    SELECT g.app_id, count(*)::integer AS n FROM gone g
      WHERE g.authorized_at IS NOT NULL GROUP BY g.app_id
  ), upd AS (
    UPDATE apps SET authorized_sessions = apps.authorized_sessions - freed.n
      FROM freed WHERE apps.id = freed.app_id
      RETURNING 1
  )
  SELECT count(*)::integer INTO n FROM gone;
  -- Sessions whose instance row never existed or vanished without a sweep.
  WITH orphan AS (
    DELETE FROM sessions s
      WHERE NOT EXISTS (SELECT 1 FROM instances i WHERE i.id = s.instance_id)
        AND s.initialized_at < clock_timestamp() - interval '1 minute'
        AND s.suspended_until IS NULL
      RETURNING s.app_id, s.authorized_at
  ), freed AS (
    SELECT o.app_id, count(*)::integer AS n FROM orphan o
      WHERE o.authorized_at IS NOT NULL GROUP BY o.app_id
  )
  UPDATE apps SET authorized_sessions = apps.authorized_sessions - freed.n
    FROM freed WHERE apps.id = freed.app_id;
  -- Windows that ended: each row is deleted once, so its slot is freed once.
  WITH expired AS (
    DELETE FROM sessions s WHERE s.suspended_until < clock_timestamp()
      RETURNING s.app_id, s.authorized_at
  ), freed AS (
    SELECT e.app_id, count(*)::integer AS n FROM expired e
      WHERE e.authorized_at IS NOT NULL GROUP BY e.app_id
  )
  UPDATE apps SET authorized_sessions = apps.authorized_sessions - freed.n
    FROM freed WHERE apps.id = freed.app_id;
  DELETE FROM ip_cooldowns WHERE until < clock_timestamp();
  DELETE FROM account_creations WHERE counts_until < clock_timestamp();
  RETURN n;
END
$$;
