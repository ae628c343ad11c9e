import websocket from '@fastify/websocket'
import rateLimit from '@fastify/rate-limit'
import type { FastifyInstance } from 'fastify'
import type { ResolvedOptions } from '../src/options.js'

/**
 * The WebSocket route. WebSocket and rate-limit support are registered here only
 * when the host has not registered them already.
 */
export default async function licensewireWebsocket (app: FastifyInstance, options: ResolvedOptions): Promise<void> {
  if (!app.hasDecorator('websocketServer')) {
    await app.register(websocket, {
      options: { maxPayload: options.maxPayloadBytes, perMessageDeflate: false },
      // The sessions plugin drains and closes our sockets with 1001 itself.
      preClose: done => done()
    })
  }
  if (!app.hasDecorator('rateLimit')) await app.register(rateLimit, { global: false })

  const hub = app.licensewireHub
  app.get(options.wsPath, {
    websocket: true,
    config: { rateLimit: { max: options.connectRateLimitMax, timeWindow: options.connectRateLimitWindowMs } }
  }, (socket, request) => {
    hub.connect(socket, request.ip)
  })
}
