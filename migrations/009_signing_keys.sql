-- Signed leases (docs/protocol.md §8): the per-app switch, and the Ed25519 keys
-- leases are signed with. The functions over them are in migrations/functions/.

ALTER TABLE apps ADD COLUMN signed_leases boolean NOT NULL DEFAULT false;

CREATE TABLE signing_keys (
  -- RFC 7638 thumbprint of the public key: the same key always gets the same kid.
  kid         text PRIMARY KEY,
  -- PKCS#8 PEM of a key the server generated; NULL for a key that comes from the
  -- environment (LEASE_SIGNING_KEY), whose private part never reaches the database,
  -- and once a key is retired, since it never signs again.
  private_key text,
  -- The public JWK (OKP, Ed25519) as the JWKS serves it.
  public_jwk  jsonb NOT NULL,
  created_at  timestamptz NOT NULL DEFAULT now(),
  retired_at  timestamptz
);
-- At most one current key, however many instances start or rotate at once.
CREATE UNIQUE INDEX signing_keys_current_idx ON signing_keys ((true)) WHERE retired_at IS NULL;
