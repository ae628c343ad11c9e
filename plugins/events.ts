import fp from 'fastify-plugin'
import { LocalEventBus, PostgresEventBus } from '../src/db/event-bus.js'
import type { EventBus } from '../src/events.js'
import type { ResolvedOptions } from '../src/options.js'

/** Live events between instances: LISTEN/NOTIFY, or in memory for the embedded database. */
export default fp<ResolvedOptions>(async function licensewireEvents (app, options) {
  let bus: EventBus
  if (options.events === 'local') {
    bus = new LocalEventBus()
  } else {
    const pgBus = new PostgresEventBus(app.licensewireDb.pool, app.log, options.instanceId)
    await pgBus.start()
    bus = pgBus
  }
  app.decorate('licensewireEvents', bus)
  app.addHook('onClose', async () => { await bus.close() })
}, { name: 'licensewire-events', fastify: '5.x', dependencies: ['licensewire-database'] })
