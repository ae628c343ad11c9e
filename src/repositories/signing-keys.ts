import type { Pool } from 'pg'
import { query } from '../db/query.js'

/** A public key as the JWKS lists it (OKP, Ed25519). */
export interface PublicJwk {
  kty: 'OKP'
  crv: 'Ed25519'
  x: string
}

/** A lease signing key without its private part: what may be shown or served. */
export interface SigningKeyRow {
  kid: string
  public_jwk: PublicJwk
  created_at: Date
  retired_at: Date | null
}

export interface NewSigningKey {
  kid: string
  /** PKCS#8 PEM; null when the key lives outside the database (LEASE_SIGNING_KEY). */
  privateKey: string | null
  publicJwk: PublicJwk
}

/**
 * Lease signing keys (docs/protocol.md §8). The private key is read by one method
 * only, `currentPrivateKey`, so no listing can carry it by accident.
 */
export class SigningKeysRepository {
  constructor (private readonly pool: Pool) {}

  /** Newest first. */
  async list (): Promise<SigningKeyRow[]> {
    const { rows } = await query<SigningKeyRow>(this.pool,
      'SELECT kid, public_jwk, created_at, retired_at FROM signing_keys ORDER BY created_at DESC, kid')
    return rows
  }

  /** The current key's kid and stored private key (null: it comes from the environment). */
  async currentPrivateKey (): Promise<{ kid: string, private_key: string | null } | undefined> {
    const { rows } = await query<{ kid: string, private_key: string | null }>(this.pool,
      'SELECT kid, private_key FROM signing_keys WHERE retired_at IS NULL')
    return rows[0]
  }

  /**
   * Makes `key` current (`replace`), or only when no key is current; see
   * migrations/functions/lw_install_signing_key.sql. Returns the current key.
   */
  async install (key: NewSigningKey, replace: boolean): Promise<{ kid: string, created_at: Date }> {
    const { rows } = await query<{ kid: string, created_at: Date }>(this.pool,
      'SELECT * FROM lw_install_signing_key($1, $2, $3, $4)',
      [key.kid, key.privateKey, JSON.stringify(key.publicJwk), replace])
    return rows[0]!
  }
}
