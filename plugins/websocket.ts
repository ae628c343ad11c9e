import rateLimit from '@fastify/rate-limit'
import type { FastifyInstance } from 'fastify'
import type { ResolvedOptions } from '../src/options.js'

/** The WebSocket route, with the per-IP upgrade limit (HTTP 429 + Retry-After). */
export default async function licensewireWebsocket (app: FastifyInstance, options: ResolvedOptions): Promise<void> {
  // A host that registered @fastify/rate-limit already has it apply our route config.
  if (!app.hasDecorator('rateLimit')) await app.register(rateLimit, { global: false })

  const hub = app.licensewireHub
  app.get(options.wsPath, {
    websocket: true,
    config: { rateLimit: { max: options.connectRateLimitMax, timeWindow: options.connectRateLimitWindowMs } }
  }, (socket, request) => {
    hub.connect(socket, request.ip)
  })
}
