import Fastify, { type FastifyInstance, type FastifyServerOptions } from 'fastify'
import licensewire, { type LicensewireOptions } from '../../src/index.js'
import { onEnd, type TestScope } from './cleanup.js'
import type { TestDatabase } from './database.js'

export interface TestServer {
  app: FastifyInstance
  url: string
  wsUrl: string
  /** Closes the server now; the test's end does it otherwise. Once, however often it is called. */
  close: () => Promise<void>
}

/**
 * A listening licensewire server on a free port, closed when `t` ends (a test's `t`,
 * or a top-level `before`'s for the whole file). On the embedded database it shares
 * the test's own pool (PGlite serves one connection at a time); on a real Postgres
 * it opens its own, as a replica would.
 */
export async function startServer (
  t: TestScope, db: TestDatabase, options: LicensewireOptions = {}, serverOptions: FastifyServerOptions = {}
): Promise<TestServer> {
  const app = Fastify({ logger: { level: process.env.TEST_LOG_LEVEL ?? 'silent' }, ...serverOptions })
  let closing: Promise<void> | undefined
  const close = (): Promise<void> => (closing ??= app.close())
  // Registered before anything can fail, so a half-started server is closed too.
  onEnd(t, close)
  await app.register(licensewire, {
    ...(db.real ? { connectionString: db.connectionString, poolMax: 10 } : { pool: db.pool, events: 'local' as const }),
    rateLimitCooldownMs: 0,
    // Every test client comes from one loopback address: per-IP connection limits would
    // count a whole test's clients as one abuser. Tests of those limits set their own.
    maxConnectionsPerIp: 100_000,
    maxUnauthorizedPerIp: 100_000,
    ...options
  })
  await app.listen({ port: 0, host: '127.0.0.1' })
  const address = app.server.address()
  if (address === null || typeof address === 'string') throw new Error('no address')
  const prefix = options.prefix ?? ''
  return {
    app,
    url: `http://127.0.0.1:${address.port}${prefix}`,
    wsUrl: `ws://127.0.0.1:${address.port}${prefix}${options.wsPath ?? '/ws'}`,
    close
  }
}
