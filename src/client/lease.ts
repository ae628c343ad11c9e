import {
  createLocalJWKSet, importJWK, importSPKI, jwtVerify,
  type JSONWebKeySet, type JWK, type JWTPayload, type JWTVerifyGetKey
} from 'jose'
import { LeaseError } from './errors.js'

/** The claims of a verified lease (docs/protocol.md §8). */
export interface LeaseClaims extends JWTPayload {
  iss: string
  /** The app's id, as a string. */
  aud: string
  /** The session's id. */
  sid: string
  client_id: string
  /** Account sessions only. */
  login?: string
  /** Left out for an account that nothing covers. */
  license?: string
  levels: Record<string, unknown>
  iat: number
  exp: number
  nonce?: string
}

export interface VerifyLeaseOptions {
  /** The server's JWKS (`GET /.well-known/jwks.json`), as JSON. */
  jwks?: JSONWebKeySet
  /** Or one public key: a JWK, an SPKI PEM string, or a CryptoKey / KeyObject. */
  publicKey?: JWK | string | object
  /** This device's id: the lease's `client_id` must be it. */
  clientId?: string
  /** The nonce sent with the request: the lease must carry it. */
  nonce?: string
  /** The app's id: the lease's `aud` must be it. */
  appId?: number | string
  /** The license key the user entered: the lease's `license` must be it. */
  license?: string
  /** The account's login (compared case-insensitively). */
  login?: string
  /** The server's issuer name (default `licensewire`). */
  issuer?: string
  /** The time to check `exp` against (default now): a Date or Unix seconds. */
  now?: Date | number
  /** Clock skew allowed, seconds (default 0). */
  clockToleranceS?: number
}

/**
 * Verifies a signed lease offline: the Ed25519 signature against the server's keys,
 * `alg`, `typ`, `iss`, `exp` (and `aud`, `client_id`, `nonce`, `license`, `login`
 * when given). Returns its claims, or throws LeaseError.
 */
export async function verifyLease (lease: string, options: VerifyLeaseOptions): Promise<LeaseClaims> {
  let key: JWTVerifyGetKey | object
  if (options.jwks !== undefined) {
    key = createLocalJWKSet(options.jwks)
  } else if (options.publicKey !== undefined) {
    const pk = options.publicKey
    key = typeof pk === 'string'
      ? await importSPKI(pk, 'EdDSA')
      : 'kty' in pk ? await importJWK(pk as JWK, 'EdDSA') : pk
  } else {
    throw new LeaseError('verifyLease needs jwks or publicKey')
  }
  const now = options.now === undefined ? undefined : options.now instanceof Date ? options.now : new Date(options.now * 1000)
  let payload: JWTPayload
  try {
    ({ payload } = await jwtVerify(lease, key as Parameters<typeof jwtVerify>[1], {
      issuer: options.issuer ?? 'licensewire',
      typ: 'lw-lease+jwt',
      algorithms: ['EdDSA'],
      requiredClaims: ['exp', 'client_id'],
      ...(options.appId === undefined ? {} : { audience: String(options.appId) }),
      ...(now === undefined ? {} : { currentDate: now }),
      ...(options.clockToleranceS === undefined ? {} : { clockTolerance: options.clockToleranceS })
    }))
  } catch (err) {
    throw new LeaseError(`invalid lease: ${err instanceof Error ? err.message : String(err)}`, { cause: err })
  }
  if (options.clientId !== undefined && payload.client_id !== options.clientId) {
    throw new LeaseError(`the lease is for another device (${String(payload.client_id)})`)
  }
  if (options.nonce !== undefined && payload.nonce !== options.nonce) {
    throw new LeaseError('the lease does not carry the nonce sent (a replayed lease?)')
  }
  if (options.license !== undefined && payload.license !== options.license) {
    throw new LeaseError('the lease is for another license')
  }
  if (options.login !== undefined && (typeof payload.login !== 'string' || payload.login.toLowerCase() !== options.login.toLowerCase())) {
    throw new LeaseError('the lease is for another account')
  }
  return payload as LeaseClaims
}
