-- Trigger function of the licenses table (triggers: migrations/003_license_notify.sql).
-- Every change to what a session reads of its license (packet 15) is announced on
-- the licensewire_licenses channel with the license id, whoever made it: the
-- management API, an Authorize on another instance, or an operator's own SQL.
-- Instances cache license state only while they hear these.
--
-- Only when some session holds the license: an instance caches a license only for
-- its sessions that hold it, so an unheld license is in no cache. Otherwise every
-- Authorize from a new IP sent a NOTIFY, and each one takes Postgres' cluster-wide
-- notify lock at commit and wakes every instance's listener, for a change nobody
-- had cached. The authorizing session itself is not a holder yet when the trigger
-- runs (see lw_authorize_license). Deletes are always announced: by the time this
-- AFTER trigger runs, ON DELETE SET NULL has already cleared the holders' license_id.
CREATE OR REPLACE FUNCTION lw_license_changed () RETURNS trigger
LANGUAGE plpgsql AS $$
BEGIN
  IF TG_OP = 'DELETE' OR EXISTS (SELECT 1 FROM sessions s WHERE s.license_id = OLD.id) THEN
    PERFORM pg_notify('licensewire_licenses', OLD.id::text);
  END IF;
  RETURN NULL;
END
$$;
