import { createPrivateKey, createPublicKey, generateKeyPairSync, sign, type KeyObject } from 'node:crypto'
import type { FastifyBaseLogger } from 'fastify'
import { calculateJwkThumbprint } from 'jose'
import type { PublicJwk, SigningKeyRow, SigningKeysRepository } from '../repositories/signing-keys.js'

/** The media type of a lease, in its JWS header (docs/protocol.md §8). */
export const LEASE_TYP = 'lw-lease+jwt'

/**
 * How long a retired key stays in the JWKS beyond the lease lifetime: an instance
 * that has not heard of a rotation yet may still sign with the old key meanwhile.
 */
const RETIRED_GRACE_S = 300

export interface Jwk extends PublicJwk {
  kid: string
  alg: 'EdDSA'
  use: 'sig'
}

/** The key leases are signed with now. */
export interface Signer {
  kid: string
  /** Compact JWS of `claims`: EdDSA, with this key's kid and the lease typ. */
  sign: (claims: object) => string
}

export class SigningKeyError extends Error {}

function publicJwk (key: KeyObject): PublicJwk {
  const { x } = createPublicKey(key).export({ format: 'jwk' })
  return { kty: 'OKP', crv: 'Ed25519', x: x! }
}

/** RFC 7638: a kid that says which key it is, the same on every instance. */
async function kidOf (jwk: PublicJwk): Promise<string> {
  return calculateJwkThumbprint(jwk, 'sha256')
}

/**
 * Reads a PKCS#8 PEM Ed25519 private key. The message never quotes the input: it
 * is a secret.
 */
export function parseSigningKey (pem: string): KeyObject {
  let key: KeyObject
  try {
    key = createPrivateKey({ key: pem, format: 'pem' })
  } catch {
    throw new SigningKeyError('licensewire: invalid option "leaseSigningKey": not a PKCS#8 PEM private key')
  }
  if (key.asymmetricKeyType !== 'ed25519') {
    throw new SigningKeyError(`licensewire: invalid option "leaseSigningKey": an Ed25519 key is needed, got ${key.asymmetricKeyType ?? 'another kind'}`)
  }
  return key
}

function signerOf (kid: string, key: KeyObject): Signer {
  // Node signs Ed25519 synchronously, several times faster than jose's WebCrypto
  // path; the compact serialization is base64url(header).base64url(claims).base64url(sig).
  const header = Buffer.from(JSON.stringify({ alg: 'EdDSA', kid, typ: LEASE_TYP })).toString('base64url')
  return {
    kid,
    sign: claims => {
      const input = `${header}.${Buffer.from(JSON.stringify(claims)).toString('base64url')}`
      return `${input}.${sign(null, Buffer.from(input), key).toString('base64url')}`
    }
  }
}

/**
 * The lease signing keys of this instance (docs/protocol.md §8): the current key,
 * from the database (generated on first start) or from LEASE_SIGNING_KEY, and the
 * public keys the JWKS serves. The database is the one list every instance reads;
 * `load` reads it again after a rotation anywhere.
 */
export class LeaseKeys {
  private signer: Signer | undefined
  private published: SigningKeyRow[] = []
  /** The key from the environment, when given: it signs whatever the database says is current. */
  private readonly own: KeyObject | undefined
  /** Counts loads, so one that overlapped a later one does not overwrite what that read. */
  private loads = 0

  constructor (
    private readonly repo: SigningKeysRepository,
    private readonly ttlS: number,
    private readonly log: FastifyBaseLogger,
    ownKey?: string
  ) {
    this.own = ownKey === undefined ? undefined : parseSigningKey(ownKey)
  }

  /** The key comes from the environment; it is rotated there, not through the API. */
  get fromEnvironment (): boolean {
    return this.own !== undefined
  }

  /**
   * Makes sure a current key this instance can sign with exists (LEASE_SIGNING_KEY, or
   * one generated once and kept in the database), then loads.
   */
  async start (): Promise<void> {
    if (this.own !== undefined) {
      const jwk = publicJwk(this.own)
      this.signer = signerOf(await kidOf(jwk), this.own)
      // Only the public part is stored: the private key stays in the environment.
      await this.repo.install({ kid: this.signer.kid, privateKey: null, publicJwk: jwk }, true)
    } else {
      const current = await this.repo.currentPrivateKey()
      // A current key without its private part came from LEASE_SIGNING_KEY, which this
      // instance does not have (any more): it starts a generated one instead. Several
      // instances starting at once on an empty table each offer one; the first stays.
      if (current === undefined || current.private_key === null) await this.repo.install(await generated(), current !== undefined)
    }
    await this.load()
  }

  /** Reads the current key and the published ones again. */
  async load (): Promise<void> {
    const load = ++this.loads
    const [current, published] = await Promise.all([this.repo.currentPrivateKey(), this.repo.list()])
    if (load !== this.loads) return
    this.published = published
    if (this.own !== undefined) {
      const kid = this.signer!.kid
      if (current?.kid !== kid) this.log.warn({ kid, current: current?.kid }, 'the database names another current lease signing key than LEASE_SIGNING_KEY; give every instance the same key')
    } else if (current?.private_key != null) {
      if (this.signer?.kid !== current.kid) this.signer = signerOf(current.kid, createPrivateKey(current.private_key))
    } else {
      // Another instance made its LEASE_SIGNING_KEY current. Signing on with the key
      // this instance has (retired now, still in the JWKS for a lease lifetime) beats
      // failing every answer; the fix is the same key on every instance.
      this.log.error({ current: current?.kid, signing: this.signer?.kid }, 'the current lease signing key comes from LEASE_SIGNING_KEY, which this instance lacks; give every instance the same key')
    }
  }

  /** The key to sign with; throws when this instance has none (a setup error, logged at load). */
  current (): Signer {
    if (this.signer === undefined) throw new Error('no lease signing key')
    return this.signer
  }

  /** A new generated key becomes current; the previous one is retired. */
  async rotate (): Promise<{ kid: string, created_at: Date }> {
    const installed = await this.repo.install(await generated(), true)
    await this.load()
    return installed
  }

  /** The current key, and each retired one until every lease it signed has expired. */
  jwks (nowMs: number): { keys: Jwk[] } {
    const keepFrom = nowMs - (this.ttlS + RETIRED_GRACE_S) * 1000
    const keys: Jwk[] = []
    for (const row of this.published) {
      if (row.retired_at !== null && row.retired_at.getTime() < keepFrom) continue
      keys.push({ ...row.public_jwk, kid: row.kid, alg: 'EdDSA', use: 'sig' })
    }
    return { keys }
  }
}

async function generated (): Promise<{ kid: string, privateKey: string, publicJwk: PublicJwk }> {
  const { privateKey } = generateKeyPairSync('ed25519')
  const jwk = publicJwk(privateKey)
  return { kid: await kidOf(jwk), privateKey: privateKey.export({ format: 'pem', type: 'pkcs8' }) as string, publicJwk: jwk }
}
