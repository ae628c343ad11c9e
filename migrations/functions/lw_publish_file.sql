-- Makes an uploaded version the current one of its file, inside the upload's own
-- transaction: false (and nothing changed) when it would take the app over its
-- storage limit, counted over the app's other current files. The version the name
-- pointed at is retired and the transfer counts start over. Publishing takes a lock
-- per app, so two uploads at once cannot both squeeze under the limit.
CREATE OR REPLACE FUNCTION lw_publish_file (p_app bigint, p_name text, p_version bigint, p_size bigint, p_checksum text)
RETURNS boolean LANGUAGE plpgsql AS $$
DECLARE
  v_limit bigint;
  v_used  bigint;
  v_old   bigint;
BEGIN
  PERFORM pg_advisory_xact_lock(hashtextextended('licensewire:files:' || p_app, 0));
  SELECT file_storage_limit_mib::bigint * 1048576 INTO v_limit FROM apps WHERE id = p_app;
  SELECT coalesce(sum(v.size), 0) INTO v_used
    FROM files f JOIN file_versions v ON v.id = f.version_id
   WHERE f.app_id = p_app AND f.name <> p_name;
  IF v_used + p_size > v_limit THEN
    RETURN false;
  END IF;
  -- clock_timestamp(): the transaction began when the upload did, maybe minutes ago.
  UPDATE file_versions SET size = p_size, checksum = p_checksum, created_at = clock_timestamp()
   WHERE id = p_version;
  SELECT version_id INTO v_old FROM files WHERE app_id = p_app AND name = p_name FOR UPDATE;
  INSERT INTO files (app_id, name, version_id) VALUES (p_app, p_name, p_version)
    ON CONFLICT (app_id, name) DO UPDATE
    SET version_id = EXCLUDED.version_id, transfer_count = 0, last_transferred_at = NULL;
  UPDATE file_versions SET retired_at = clock_timestamp() WHERE id = v_old;
  RETURN true;
END
$$;
