import fp from 'fastify-plugin'
import { createMetrics } from '../src/metrics.js'

export default fp(async function licensewireMetrics (app) {
  app.decorate('licensewireMetrics', createMetrics(app.licensewireDb.pool))
}, { name: 'licensewire-metrics', fastify: '5.x', dependencies: ['licensewire-database'] })
