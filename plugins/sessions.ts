import { randomUUID } from 'node:crypto'
import fp from 'fastify-plugin'
import { packets } from '../src/protocol/packets/index.js'
import type { ResolvedOptions } from '../src/options.js'
import { Hub } from '../src/session/hub.js'

declare module 'fastify' {
  interface FastifyInstance {
    licensewireHub: Hub
  }
}

/** The live sessions of this instance and its lease; drained before the server closes. */
export default fp<ResolvedOptions>(async function licensewireSessions (app, options) {
  const instanceId = options.instanceId ?? randomUUID()
  const hub = new Hub(
    { repos: app.licensewireDb.repos, options, instanceId, log: app.log.child({ instance: instanceId.slice(0, 8) }) },
    packets,
    app.licensewireMetrics,
    // When we register @fastify/websocket ourselves it enforces maxPayload (1009).
    !app.hasDecorator('websocketServer')
  )
  await hub.start()
  app.decorate('licensewireHub', hub)
  app.addHook('preClose', async () => { await hub.drain() })
  app.addHook('onClose', async () => { hub.stop() })
}, { name: 'licensewire-sessions', fastify: '5.x', dependencies: ['licensewire-database', 'licensewire-metrics'] })
