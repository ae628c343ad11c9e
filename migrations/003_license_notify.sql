-- Every change to what a session reads of its license (packet 15) is announced on
-- the licensewire_licenses channel with the license id, whoever made it: the
-- management API, an Authorize on another instance, or an operator's own SQL.
-- Instances cache license state only while they hear these.
CREATE FUNCTION lw_license_changed () RETURNS trigger
LANGUAGE plpgsql AS $$
BEGIN
  PERFORM pg_notify('licensewire_licenses', OLD.id::text);
  RETURN NULL;
END
$$;

CREATE TRIGGER licenses_changed_update AFTER UPDATE ON licenses
  FOR EACH ROW
  WHEN ((OLD.levels, OLD.comment, OLD.ip_address, OLD.activated_at, OLD.expires_at, OLD.paused_at, OLD.blacklisted_at, OLD.client_id)
        IS DISTINCT FROM
        (NEW.levels, NEW.comment, NEW.ip_address, NEW.activated_at, NEW.expires_at, NEW.paused_at, NEW.blacklisted_at, NEW.client_id))
  EXECUTE FUNCTION lw_license_changed();

CREATE TRIGGER licenses_changed_delete AFTER DELETE ON licenses
  FOR EACH ROW EXECUTE FUNCTION lw_license_changed();
