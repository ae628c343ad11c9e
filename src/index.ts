import fp from 'fastify-plugin'
import websocketSupport from '@fastify/websocket'
import type { FastifyInstance } from 'fastify'
import admin from '../plugins/admin.js'
import adminConsole from '../plugins/console.js'
import database from '../plugins/database.js'
import events from '../plugins/events.js'
import fileDownloads from '../plugins/file-downloads.js'
import files from '../plugins/files.js'
import health from '../plugins/health.js'
import jwks from '../plugins/jwks.js'
import leases from '../plugins/leases.js'
import metrics from '../plugins/metrics.js'
import sessions from '../plugins/sessions.js'
import websocket from '../plugins/websocket.js'
import type { LicensewireDb } from '../plugins/database.js'
import type { EventBus } from './events.js'
import type { Metrics } from './metrics.js'
import { redactedNotFound, redactingChildLogger } from './log-redaction.js'
import { resolveOptions, type LicensewireOptions } from './options.js'
import type { Hub } from './session/hub.js'

// What licensewire decorates the host with, declared in the package's entry (as
// @fastify/websocket does) so a host's compiler sees it once it imports licensewire.
// Declared in the plugins, it never got there: a declaration file keeps only the
// imports its types use, and index.d.ts does not use the plugins' types.
declare module 'fastify' {
  interface FastifyInstance {
    licensewireDb: LicensewireDb
    licensewireHub: Hub
    licensewireMetrics: Metrics
    licensewireEvents: EventBus
  }
}

export type { LicensewireOptions, ResolvedOptions } from './options.js'
export { startEmbeddedPostgres } from './db/embedded.js'
export { migrate } from './db/migrate.js'
export { Status } from './protocol/statuses.js'
export { Close } from './protocol/close-codes.js'
export { redactUrl, redactedRequest } from './log-redaction.js'

/**
 * licensewire as a Fastify plugin. The database, metrics and session hub are
 * shared with the host (decorators `licensewireDb`, `licensewireMetrics`,
 * `licensewireHub`); the routes live in their own scope under `prefix`.
 */
async function licensewire (app: FastifyInstance, opts: LicensewireOptions): Promise<void> {
  const options = resolveOptions(opts)
  // On the host, not in our route scope: @fastify/websocket listens to every upgrade
  // of the server, so its hooks must see every route (a stray upgrade to an unknown
  // path must be answered and closed, or it keeps the server from closing).
  if (!app.hasDecorator('websocketServer')) {
    await app.register(websocketSupport, {
      options: { maxPayload: options.maxPayloadBytes, perMessageDeflate: false },
      // The sessions plugin drains and closes our sockets with 1001 itself.
      preClose: done => done()
    })
  }
  await app.register(database, options)
  await app.register(metrics)
  await app.register(events, options)
  await app.register(files, options)
  await app.register(leases, options)
  await app.register(sessions, options)
  await app.register(async function licensewireRoutes (scope) {
    // Every request our routes or our prefix's 404 log has its secrets redacted, in the
    // host's own logger; a 404 under our prefix never logs its URL whole either. With
    // no prefix the 404s are the host's (the standalone service redacts its own).
    scope.setChildLoggerFactory(redactingChildLogger)
    if (options.prefix !== '') scope.setNotFoundHandler(redactedNotFound)
    await scope.register(health)
    await scope.register(jwks)
    // Fastify reads `prefix` from register options: ours is applied once, above.
    await scope.register(websocket, { ...options, prefix: '' })
    await scope.register(fileDownloads, { ...options, prefix: '' })
    // Without a token the management API does not exist at all, rather than being open.
    // Only what it needs goes along: a `prefix` key in register options would prefix again.
    if (options.adminTokens.length > 0) {
      await scope.register(admin, { adminTokens: options.adminTokens, fileMaxBytes: options.fileMaxBytes })
      await scope.register(adminConsole, { adminTokens: options.adminTokens })
    }
  }, { prefix: options.prefix })
}

export default fp(licensewire, { name: 'licensewire', fastify: '5.x' })
