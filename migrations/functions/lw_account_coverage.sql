-- An account's coverage at p_at (docs/protocol.md §7, Accounts): of its linked
-- licenses that are active then (activated, not expired, not paused, not
-- blacklisted), the one that expires last. No row when nothing covers. Its key is
-- the `license` claim of an account session's signed lease.
DROP FUNCTION IF EXISTS lw_account_coverage (bigint, timestamptz);
CREATE FUNCTION lw_account_coverage (p_account bigint, p_at timestamptz)
RETURNS TABLE (expires_at timestamptz, levels jsonb, key text)
LANGUAGE sql STABLE AS $$
  SELECT l.expires_at, l.levels, l.key FROM licenses l
   WHERE l.account_id = p_account AND l.activated_at IS NOT NULL AND l.expires_at > p_at
     AND l.paused_at IS NULL AND l.blacklisted_at IS NULL
   ORDER BY l.expires_at DESC, l.id DESC
   LIMIT 1
$$;
