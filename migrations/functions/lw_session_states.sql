-- What the database says now about sessions as an instance knows them (id, app,
-- client_id, and the license or account they hold, as JSON objects): whether what
-- they rely on is still there. Used to catch up on changes a session missed: after a
-- gap in event delivery, and when a suspended session resumes.
DROP FUNCTION IF EXISTS lw_session_states (jsonb);
CREATE FUNCTION lw_session_states (p_sessions jsonb)
RETURNS TABLE (
  id text, app_gone boolean, app_paused boolean, client_blacklisted boolean,
  license_gone boolean, license_blacklisted boolean, license_paused boolean, license_reset boolean,
  account_gone boolean, account_blacklisted boolean, account_uncovered boolean, signed_leases boolean,
  session_gone boolean, app_version text
)
LANGUAGE sql STABLE AS $$
  SELECT x.id,
         a.id IS NULL,
         coalesce(a.paused, false),
         EXISTS (SELECT 1 FROM client_blacklist b WHERE b.app_id = x.app_id AND b.client_id = x.client_id),
         x.license_id IS NOT NULL AND l.id IS NULL,
         coalesce(l.blacklisted_at IS NOT NULL, false),
         coalesce(l.paused_at IS NOT NULL, false),
         coalesce(l.activated_at IS NULL, false),
         x.account_id IS NOT NULL AND u.id IS NULL,
         coalesce(u.blacklisted_at IS NOT NULL, false),
         -- A CASE, not AND: with no account, AND would still look for its coverage.
         CASE WHEN u.requires_license THEN NOT EXISTS (SELECT 1 FROM lw_account_coverage(u.id, clock_timestamp())) ELSE false END,
         a.signed_leases,
         NOT EXISTS (SELECT 1 FROM sessions s WHERE s.id = x.id::uuid),
         a.version
    FROM jsonb_to_recordset(p_sessions) AS x (id text, app_id bigint, client_id text, license_id bigint, account_id bigint)
    LEFT JOIN apps a ON a.id = x.app_id
    LEFT JOIN licenses l ON l.id = x.license_id
    LEFT JOIN accounts u ON u.id = x.account_id
$$;
