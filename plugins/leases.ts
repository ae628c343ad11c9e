import fp from 'fastify-plugin'
import { LeaseKeys } from '../src/leases/keys.js'
import type { ResolvedOptions } from '../src/options.js'

declare module 'fastify' {
  interface FastifyInstance {
    /** The lease signing keys: the current one and the public keys of the JWKS. */
    licensewireLeases: LeaseKeys
  }
}

/**
 * Signed leases (docs/protocol.md §8): a current signing key exists from the first
 * start on, so turning an app's signed_leases on needs nothing more.
 */
export default fp<ResolvedOptions>(async function licensewireLeases (app, options) {
  const keys = new LeaseKeys(app.licensewireDb.repos.signingKeys, options.leaseTtlS, app.log, options.leaseSigningKey)
  await keys.start()
  // The key this instance installed, if any, must be in every instance's JWKS.
  await app.licensewireEvents.publish({ type: 'signing_keys_changed' })
  app.decorate('licensewireLeases', keys)
}, { name: 'licensewire-leases', fastify: '5.x', dependencies: ['licensewire-database', 'licensewire-events'] })
