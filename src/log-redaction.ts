import type { FastifyBaseLogger, FastifyRequest } from 'fastify'
import { redactToken } from './files/urls.js'

/** Segments after these may be secrets: a license key, an account's key, a download token. */
const SECRET_AFTER = /^(?:licenses|accounts|files)$/i
/** Route words that may follow a secret segment, kept so a log still says what was asked. */
const ROUTE_WORDS = new Set(['pause', 'unpause', 'blacklist', 'unblacklist', 'reset-client', 'reinitialize', 'extend', 'licenses'])
/** A download token: version and expiry are not secret, the signature is. */
const TOKEN = /^\d{1,15}\.\d{1,15}\.[A-Za-z0-9_-]+$/

function decodedLength (segment: string): number {
  try {
    return decodeURIComponent(segment).length
  } catch {
    return segment.length
  }
}

/** A segment cut to at most 4 characters and a third of its length, encoded or decoded. */
function redactSegment (segment: string): string {
  if (TOKEN.test(segment)) return redactToken(segment)
  const shown = Math.min(4, Math.floor(Math.min(segment.length, decodedLength(segment)) / 3))
  return `${segment.slice(0, shown)}…`
}

/**
 * A request URL as the logs may show it: every path segment after `licenses/`,
 * `accounts/` or `files/` (in any case, however many slashes) cut short, route words
 * and an account's numeric id apart, and the query string hidden. For any URL, matched
 * or not: a request that matches no route is logged before anyone checked it.
 */
export function redactUrl (url: string): string {
  const query = url.indexOf('?')
  const path = query === -1 ? url : url.slice(0, query)
  const segments = path.split('/')
  let after: string | undefined
  for (let i = 0; i < segments.length; i++) {
    const segment = segments[i]!
    if (after !== undefined && segment !== '' && !ROUTE_WORDS.has(segment.toLowerCase()) &&
      !(after === 'accounts' && /^\d{1,16}$/.test(segment))) {
      segments[i] = redactSegment(segment)
    }
    if (SECRET_AFTER.test(segment)) after = segment.toLowerCase()
  }
  return segments.join('/') + (query === -1 ? '' : '?…')
}

/** Fastify's request log fields with the URL redacted. */
export function redactedRequest (request: FastifyRequest): Record<string, unknown> {
  return {
    method: request.method,
    url: redactUrl(request.url),
    host: request.host,
    remoteAddress: request.ip,
    remotePort: request.socket?.remotePort
  }
}

/**
 * A child logger factory (Fastify's setChildLoggerFactory) whose request serializer
 * redacts: set on a scope, it covers every route of the scope and the scope's 404s,
 * whatever the host's own serializers are.
 */
export function redactingChildLogger (
  logger: FastifyBaseLogger, bindings: Record<string, unknown>, opts: { serializers?: Record<string, unknown> }
): FastifyBaseLogger {
  return logger.child(bindings, { ...opts, serializers: { ...opts.serializers, req: redactedRequest } } as never)
}

/** Fastify's own 404 answer, with its log line's URL redacted. */
export function redactedNotFound (request: FastifyRequest, reply: { code: (n: number) => { send: (b: unknown) => unknown } }): unknown {
  const url = redactUrl(request.raw.url ?? '')
  request.log.info(`Route ${request.method}:${url} not found`)
  return reply.code(404).send({ message: `Route ${request.method}:${url} not found`, error: 'Not Found', statusCode: 404 })
}
