import type { ServerResponse } from 'node:http'
import rateLimit from '@fastify/rate-limit'
import type { IncomingMessage } from 'node:http'
import type { FastifyInstance, FastifyRequest } from 'fastify'
import { ConnectionLimits, REFUSED_RETRY_AFTER_S, openFilesLimit, type Refusal } from '../src/connection-limits.js'
import type { ResolvedOptions } from '../src/options.js'
import { newResumeToken } from '../src/session/resumption.js'

/** The Resume-Id token of an upgrade, on its raw request until the socket is wired. */
const RESUME_TOKEN = Symbol('licensewire.resumeToken')
type UpgradeRequest = IncomingMessage & { [RESUME_TOKEN]?: string }

const REFUSALS: Record<Refusal, string> = {
  instance: 'this instance is at its connection limit; retry later or elsewhere',
  ip: 'too many connections from your address',
  unauthorized: 'too many sessions from your address that are not authorized'
}

/** The WebSocket route, with the per-IP upgrade limit (HTTP 429 + Retry-After). */
export default async function licensewireWebsocket (app: FastifyInstance, options: ResolvedOptions): Promise<void> {
  // A host that registered @fastify/rate-limit already has it apply our route config.
  if (!app.hasDecorator('rateLimit')) await app.register(rateLimit, { global: false })

  const hub = app.licensewireHub
  const resumable = options.resumeWindowMs > 0
  if (resumable) {
    // Every accepted upgrade of our route answers with a fresh Resume-Id (docs/protocol.md
    // §9); other WebSocket routes of a host app are left alone. A draining instance
    // gives none: the client keeps the token it has and resumes elsewhere.
    app.websocketServer.on('headers', (headers: string[], request: UpgradeRequest) => {
      const token = request[RESUME_TOKEN]
      if (token !== undefined && !hub.draining) headers.push(`Resume-Id: ${token}`)
      else delete request[RESUME_TOKEN]
    })
  }
  const limits = new ConnectionLimits(options)
  app.log.info({ maxConnections: options.maxConnections, openFilesLimit: openFilesLimit() ?? null }, 'WebSocket connection limit')
  const metrics = app.licensewireMetrics
  app.get(options.wsPath, {
    websocket: true,
    config: { rateLimit: { max: options.connectRateLimitMax, timeWindow: options.connectRateLimitWindowMs } },
    // Over a connection limit the upgrade is answered as HTTP, before any socket exists:
    // the client learns when to come back.
    onRequest: async (request, reply) => {
      const refusal = limits.refusal(request.ip)
      if (refusal !== undefined) {
        metrics.upgradeRefused(refusal)
        reply.code(503).header('retry-after', String(REFUSED_RETRY_AFTER_S))
        return reply.send({ statusCode: 503, error: 'Service Unavailable', message: REFUSALS[refusal] })
      }
      if (resumable) (request.raw as UpgradeRequest)[RESUME_TOKEN] = newResumeToken()
    }
  }, (socket, request) => {
    // The upgrade's request and reply would otherwise live as long as the socket (about
    // 2 KiB a session with their headers): @fastify/websocket assigns its placeholder
    // HTTP response to the socket, and its 'error' listener holds both. That listener
    // also logs every client protocol error at error level; the hub's logs at debug.
    const placeholder = (request.socket as { _httpMessage?: ServerResponse | null })._httpMessage
    if (placeholder?.socket === request.socket) placeholder.detachSocket(request.socket)
    socket.removeAllListeners('error')
    const claim = request.headers['resume-id']
    limits.track(hub.connect(socket, request.ip, originOf(request), {
      token: (request.raw as UpgradeRequest)[RESUME_TOKEN] ?? null,
      claim: typeof claim === 'string' ? claim : undefined
    }))
  })
}

/** Origins seen, so the sessions of one origin share one string. Bounded: the Host header is the client's to choose. */
const origins = new Map<string, string>()

/** Where the client reached us (behind a trusted proxy, where it reached the proxy): download URLs are built on it. */
function originOf (request: FastifyRequest): string {
  const host = request.host
  if (host === undefined || host === '') return ''
  const origin = `${request.protocol}://${host}`
  const known = origins.get(origin)
  if (known !== undefined) return known
  if (origins.size < 256) origins.set(origin, origin)
  return origin
}
