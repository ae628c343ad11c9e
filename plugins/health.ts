import type { FastifyInstance } from 'fastify'

/** Liveness, readiness and Prometheus metrics: outside admin auth and every rate limit. */
export default async function licensewireHealth (app: FastifyInstance): Promise<void> {
  const config = { rateLimit: false }
  app.get('/healthz', { config }, async () => ({ status: 'ok' }))
  app.get('/readyz', { config }, async (_request, reply) => {
    if (app.licensewireHub.draining) return reply.code(503).send({ status: 'draining' })
    try {
      await app.licensewireDb.pool.query('SELECT 1')
    } catch {
      return reply.code(503).send({ status: 'database unreachable' })
    }
    return { status: 'ready' }
  })
  app.get('/metrics', { config }, async (_request, reply) => {
    const { registry } = app.licensewireMetrics
    return reply.type(registry.contentType).send(await registry.metrics())
  })
}
