-- Every change to what a session reads of its license (packet 15) is announced on
-- the licensewire_licenses channel by these triggers; what is announced, and when,
-- is up to their function, migrations/functions/lw_license_changed.sql.
--
-- CREATE TRIGGER needs its function to exist, but function files are applied after
-- the schema migrations (src/db/migrate.ts). So the migration that creates a trigger
-- creates a do-nothing function of the same signature first; the function file
-- replaces it later in the same transaction, before anything can fire the trigger.
CREATE FUNCTION lw_license_changed () RETURNS trigger
LANGUAGE plpgsql AS $$ BEGIN RETURN NULL; END $$;

CREATE TRIGGER licenses_changed_update AFTER UPDATE ON licenses
  FOR EACH ROW
  WHEN ((OLD.levels, OLD.comment, OLD.ip_address, OLD.activated_at, OLD.expires_at, OLD.paused_at, OLD.blacklisted_at, OLD.client_id)
        IS DISTINCT FROM
        (NEW.levels, NEW.comment, NEW.ip_address, NEW.activated_at, NEW.expires_at, NEW.paused_at, NEW.blacklisted_at, NEW.client_id))
  EXECUTE FUNCTION lw_license_changed();

CREATE TRIGGER licenses_changed_delete AFTER DELETE ON licenses
  FOR EACH ROW EXECUTE FUNCTION lw_license_changed();
