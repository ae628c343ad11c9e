import type { FastifyInstance } from 'fastify'

/**
 * A client caches the key set, and fetches it again when a lease names a kid it does
 * not know (after a rotation); a new key is served at once, so a short max-age suffices.
 */
const CACHE_CONTROL = 'public, max-age=300'

/** The public keys that verify leases (docs/protocol.md §8): no token, no rate limit, from memory. */
export default async function licensewireJwks (app: FastifyInstance): Promise<void> {
  const keys = app.licensewireLeases
  app.get('/.well-known/jwks.json', { config: { rateLimit: false } }, async (_request, reply) => {
    return reply.header('cache-control', CACHE_CONTROL).type('application/jwk-set+json').send(keys.jwks(Date.now()))
  })
}
