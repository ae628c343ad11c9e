-- Blacklist (docs/protocol.md §7, type 6): a session blacklists itself, all or nothing.
-- 604 when the app's client-id blacklist is full, and then nothing changes; else 1:
-- the client_id goes on the blacklist as the client's own entry, what the session is
-- authorized with is blacklisted with the same comment, and its quota slot is given
-- back. The caller tells the other sessions (live events) once this has committed.
CREATE OR REPLACE FUNCTION lw_blacklist_session (
  p_session uuid, p_app bigint, p_client_id text, p_comment text
) RETURNS integer
LANGUAGE plpgsql AS $$
DECLARE
  s sessions%ROWTYPE;
  t timestamptz := clock_timestamp();
BEGIN
  -- Blacklist calls of one app take turns, so the cap holds exactly. An advisory lock
  -- rather than the app row: the rows below are then locked in the order Authorize
  -- locks them (license, then app), and the two cannot deadlock.
  PERFORM pg_advisory_xact_lock(hashtextextended('licensewire:blacklist:' || p_app, 0));
  SELECT * INTO s FROM sessions WHERE id = p_session AND app_id = p_app FOR UPDATE;
  IF NOT FOUND THEN
    RAISE EXCEPTION 'licensewire: session % is not live', p_session;
  END IF;
  IF (SELECT count(*) FROM client_blacklist b WHERE b.app_id = p_app)
     >= (SELECT blacklist_limit FROM apps WHERE id = p_app) THEN
    RETURN 604;
  END IF;

  -- An administrator may have blacklisted it meanwhile: that entry stays as it is.
  INSERT INTO client_blacklist (app_id, client_id, comment, source)
    VALUES (p_app, p_client_id, p_comment, 'client')
    ON CONFLICT (app_id, client_id) DO NOTHING;
  IF s.license_id IS NOT NULL THEN
    UPDATE licenses SET blacklisted_at = coalesce(blacklisted_at, t), blacklist_comment = p_comment, updated_at = t
      WHERE id = s.license_id;
  END IF;
  IF s.account_id IS NOT NULL THEN
    UPDATE accounts SET blacklisted_at = coalesce(blacklisted_at, t), blacklist_comment = p_comment, updated_at = t
      WHERE id = s.account_id;
  END IF;
  PERFORM lw_release_authorization(p_session);
  RETURN 1;
END
$$;
