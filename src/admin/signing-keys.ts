import type { LeaseKeys } from '../leases/keys.js'
import type { AdminContext } from './context.js'
import { conflict } from './errors.js'
import type { NewSigningKeyJson, SigningKeyJson } from './schemas.js'
import { signingKeyJson } from './views.js'

/** Lease signing keys (docs/admin-api.md, Signing keys): ids and dates only, never key material. */
export class SigningKeysService {
  constructor (private readonly ctx: AdminContext, private readonly keys: LeaseKeys) {}

  async list (): Promise<SigningKeyJson[]> {
    return (await this.ctx.repos.signingKeys.list()).map(signingKeyJson)
  }

  /**
   * A new key signs from now on, on this instance at once and on the others when they
   * hear of it; the old one stays in the JWKS until its leases have expired.
   */
  async rotate (): Promise<NewSigningKeyJson> {
    if (this.keys.fromEnvironment) throw conflict('the lease signing key is set by LEASE_SIGNING_KEY: change it there')
    const key = await this.keys.rotate()
    await this.ctx.publish({ type: 'signing_keys_changed' })
    return { kid: key.kid, created_at: key.created_at.toISOString() }
  }
}
