import fp from 'fastify-plugin'
import { createMetrics, type Metrics } from '../src/metrics.js'

declare module 'fastify' {
  interface FastifyInstance {
    licensewireMetrics: Metrics
  }
}

export default fp(async function licensewireMetrics (app) {
  app.decorate('licensewireMetrics', createMetrics(app.licensewireDb.pool))
}, { name: 'licensewire-metrics', fastify: '5.x', dependencies: ['licensewire-database'] })
