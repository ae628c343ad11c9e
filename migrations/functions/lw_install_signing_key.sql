-- Makes a lease signing key (docs/protocol.md §8) the current one, under a lock so
-- instances that start or rotate at the same moment agree on one current key.
--
-- p_replace false (a generated key at start): installed only when there is no
-- current key; otherwise the current one stays and the given key is dropped.
-- p_replace true (a rotation, or LEASE_SIGNING_KEY at start): the current key is
-- retired, unless it is this very key. A retired key loses its private part (it
-- never signs again) but keeps its row, so the JWKS can list it while its leases live.
-- Returns the current key after the call.
CREATE OR REPLACE FUNCTION lw_install_signing_key (
  p_kid text, p_private_key text, p_public_jwk jsonb, p_replace boolean
) RETURNS TABLE (kid text, created_at timestamptz)
LANGUAGE plpgsql AS $$
DECLARE
  current_kid text;
BEGIN
  PERFORM pg_advisory_xact_lock(hashtext('licensewire:signing_keys'));
  SELECT k.kid INTO current_kid FROM signing_keys k WHERE k.retired_at IS NULL;
  IF current_kid IS NULL OR (p_replace AND current_kid <> p_kid) THEN
    UPDATE signing_keys k SET retired_at = now(), private_key = NULL WHERE k.retired_at IS NULL;
    -- A key used before (LEASE_SIGNING_KEY set back to an earlier value) comes back.
    INSERT INTO signing_keys AS k (kid, private_key, public_jwk) VALUES (p_kid, p_private_key, p_public_jwk)
      ON CONFLICT ON CONSTRAINT signing_keys_pkey
      DO UPDATE SET retired_at = NULL, private_key = EXCLUDED.private_key;
  END IF;
  RETURN QUERY SELECT k.kid, k.created_at FROM signing_keys k WHERE k.retired_at IS NULL;
END
$$;
