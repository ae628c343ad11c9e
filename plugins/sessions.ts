import fp from 'fastify-plugin'
import { packets } from '../src/protocol/packets/index.js'
import type { ResolvedOptions } from '../src/options.js'
import { Hub } from '../src/session/hub.js'

/** The live sessions of this instance and its lease; drained before the server closes. */
export default fp<ResolvedOptions>(async function licensewireSessions (app, options) {
  const { instanceId } = options
  const hub = new Hub(
    {
      repos: app.licensewireDb.repos,
      options,
      instanceId,
      log: app.log.child({ instance: instanceId.slice(0, 8) }),
      bus: app.licensewireEvents,
      fileUrls: app.licensewireFiles.urls,
      leaseKeys: app.licensewireLeases
    },
    packets,
    app.licensewireMetrics,
    // ws closes oversized frames with 1009 itself when its own limit is no larger.
    (app.websocketServer.options.maxPayload ?? Infinity) <= options.maxPayloadBytes
  )
  await hub.start()
  app.licensewireEvents.subscribe(hub.liveEvents.busListener())
  app.decorate('licensewireHub', hub)
  app.addHook('preClose', async () => { await hub.drain() })
  app.addHook('onClose', async () => { hub.stop() })
}, { name: 'licensewire-sessions', fastify: '5.x', dependencies: ['licensewire-database', 'licensewire-metrics', 'licensewire-events', 'licensewire-files', 'licensewire-leases', '@fastify/websocket'] })
