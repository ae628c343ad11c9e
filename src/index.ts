import fp from 'fastify-plugin'
import type { FastifyInstance } from 'fastify'
import database from '../plugins/database.js'
import events from '../plugins/events.js'
import health from '../plugins/health.js'
import metrics from '../plugins/metrics.js'
import sessions from '../plugins/sessions.js'
import websocket from '../plugins/websocket.js'
import { resolveOptions, type LicensewireOptions } from './options.js'

export type { LicensewireOptions, ResolvedOptions } from './options.js'
export { startEmbeddedPostgres } from './db/embedded.js'
export { migrate } from './db/migrate.js'
export { Status } from './protocol/statuses.js'
export { Close } from './protocol/close-codes.js'

/**
 * licensewire as a Fastify plugin. The database, metrics and session hub are
 * shared with the host (decorators `licensewireDb`, `licensewireMetrics`,
 * `licensewireHub`); the routes live in their own scope under `prefix`.
 */
async function licensewire (app: FastifyInstance, opts: LicensewireOptions): Promise<void> {
  const options = resolveOptions(opts)
  await app.register(database, options)
  await app.register(metrics)
  await app.register(events, options)
  await app.register(sessions, options)
  await app.register(async function licensewireRoutes (scope) {
    await scope.register(health)
    await scope.register(websocket, options)
  }, { prefix: options.prefix })
}

export default fp(licensewire, { name: 'licensewire', fastify: '5.x' })
