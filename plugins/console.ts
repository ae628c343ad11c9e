import { existsSync } from 'node:fs'
import { dirname, join } from 'node:path'
import { fileURLToPath } from 'node:url'
import { AjvCompiler } from '@fastify/ajv-compiler'
import helmet from '@fastify/helmet'
import fastifyStatic from '@fastify/static'
import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox'
import { Type } from '@sinclair/typebox'
import type { FastifyInstance } from 'fastify'
import { bearerChecker } from '../src/admin/auth.js'
import { requireApp } from '../src/admin/context.js'
import { HttpError, invalidInput } from '../src/admin/errors.js'
import { requestProblem } from '../src/admin/input-guard.js'
import { AppParams, errors } from '../src/admin/schemas.js'
import { sessionJson } from '../src/admin/views.js'
import { AppSessionWatch, type SessionSubscriber } from '../src/console/session-watch.js'
import { ConsoleSamplesRepository } from '../src/repositories/console-samples.js'

export interface ConsoleOptions {
  adminTokens: string[]
  /** How often the chart's series is sampled (seconds). */
  sampleIntervalS?: number
  /** How often a watched app's sessions are read for the live list (ms). */
  pollMs?: number
  /** SSE comment lines that keep idle proxies from closing the stream (ms). */
  keepAliveMs?: number
}

/** The chart shows the last hour; samples are kept a little longer. */
const SERIES_SECONDS = 3600
const KEEP_SECONDS = SERIES_SECONDS + 300

/** The package's console/ folder (static files), found from here in src/ or dist/. */
export function consoleDir (): string {
  let dir = dirname(fileURLToPath(import.meta.url))
  while (true) {
    const candidate = join(dir, 'console')
    if (existsSync(join(candidate, 'index.html')) && existsSync(join(dir, 'package.json'))) return candidate
    const parent = dirname(dir)
    if (parent === dir) throw new Error('licensewire: console/ folder not found')
    dir = parent
  }
}

/**
 * Strict: nothing but the console's own files, no inline script or style, no
 * framing. connect-src 'self' covers the management API and the SSE stream.
 */
export const CONSOLE_CSP = {
  'default-src': ["'none'"],
  'script-src': ["'self'"],
  'style-src': ["'self'"],
  'img-src': ["'self'"],
  'connect-src': ["'self'"],
  'form-action': ["'self'"],
  'frame-ancestors': ["'none'"],
  'base-uri': ["'none'"]
}

/**
 * The admin console (README, "The admin console"): static files at
 * `{prefix}/console/`, and two management routes only it uses — the live session
 * stream and the chart's series — behind the same bearer tokens as the admin API.
 * Registered only when admin tokens are configured.
 */
export default async function licensewireConsole (app: FastifyInstance, options: ConsoleOptions): Promise<void> {
  await app.register(async function consoleFiles (scope) {
    await scope.register(helmet, {
      contentSecurityPolicy: { useDefaults: false, directives: CONSOLE_CSP },
      // Tokens live in sessionStorage; never send the page's address elsewhere.
      referrerPolicy: { policy: 'no-referrer' },
      // HSTS is the host's decision for its whole domain, not a mounted plugin's.
      strictTransportSecurity: false
    })
    // Relative, so it works under any prefix and behind a path-rewriting proxy.
    scope.get('/console', { schema: { hide: true } }, async (_request, reply) => reply.redirect('console/'))
    await scope.register(fastifyStatic, {
      root: consoleDir(),
      prefix: '/console/',
      decorateReply: false,
      index: ['index.html'],
      cacheControl: true,
      maxAge: 0,
      schemaHide: true
    })
  })

  await app.register(consoleApi, options)
}

const consoleApi: FastifyPluginAsyncTypebox<ConsoleOptions> = async (app, options) => {
  const repos = app.licensewireDb.repos
  const samples = new ConsoleSamplesRepository(app.licensewireDb.pool)
  const intervalS = options.sampleIntervalS ?? 30
  const pollMs = options.pollMs ?? 1000
  const keepAliveMs = options.keepAliveMs ?? 15_000

  // As in the management API: path and query strings coerced by our own validators
  // (the host's Ajv settings do not apply), and a 5xx's cause goes to the log only.
  const coercing = AjvCompiler()({}, { customOptions: {} })
  app.setValidatorCompiler(route => coercing(route))
  app.setErrorHandler((err, request, reply) => {
    const status = (err as { statusCode?: unknown }).statusCode
    if (typeof status === 'number' && status >= 400 && status < 500) throw err
    request.log.error({ err }, 'console request failed')
    return reply.code(500).send({ statusCode: 500, error: 'Internal Server Error', message: 'Internal Server Error' })
  })

  const authorized = bearerChecker(options.adminTokens)
  app.addHook('onRequest', async (request, reply) => {
    if (authorized(request.headers.authorization)) return
    reply.header('www-authenticate', 'Bearer')
    throw new HttpError(401, 'missing or invalid admin token')
  })
  // The management API's own checks: decimal path ids, well-formed strings.
  app.addHook('preValidation', async request => {
    const problem = requestProblem(request)
    if (problem !== undefined) throw invalidInput(problem)
  })

  // The chart's series: sampled by every instance serving the console; one row per
  // app and interval survives (see the migration).
  let sampler: NodeJS.Timeout | undefined
  const sample = (): void => {
    samples.sample(intervalS, KEEP_SECONDS).catch(err => app.log.warn({ err }, 'console: sampling sessions failed'))
  }
  app.addHook('onReady', async () => {
    sample()
    sampler = setInterval(sample, intervalS * 1000)
    sampler.unref()
  })

  const watches = new Map<number, AppSessionWatch>()
  const streams = new Set<() => void>()
  // Before the server closes: an open stream would keep it waiting.
  app.addHook('preClose', async () => {
    clearInterval(sampler)
    for (const end of streams) end()
    for (const watch of watches.values()) watch.stop()
  })

  const prefix = '/admin/v1'
  const tags = ['console']

  app.get(`${prefix}/apps/:appId/sessions/history`, {
    schema: {
      tags,
      summary: 'Authorized sessions of the last hour, sampled (the console\'s chart)',
      params: AppParams,
      response: {
        200: Type.Object({
          interval_s: Type.Integer(),
          items: Type.Array(Type.Object({ at: Type.String({ format: 'date-time' }), authorized: Type.Integer() }))
        }),
        ...errors(400, 404)
      }
    }
  }, async request => {
    await requireApp(repos, request.params.appId)
    const rows = await samples.series(request.params.appId, SERIES_SECONDS)
    return { interval_s: intervalS, items: rows.map(r => ({ at: r.at.toISOString(), authorized: r.authorized })) }
  })

  app.get(`${prefix}/apps/:appId/sessions/stream`, {
    schema: {
      tags,
      summary: 'The app\'s live sessions as Server-Sent Events: snapshot, then session and session_end',
      params: AppParams,
      produces: ['text/event-stream'],
      response: errors(400, 404)
    }
  }, async (request, reply) => {
    const appId = request.params.appId
    await requireApp(repos, appId)
    reply.hijack()
    const res = reply.raw
    res.writeHead(200, {
      'content-type': 'text/event-stream; charset=utf-8',
      'cache-control': 'no-store',
      'x-accel-buffering': 'no',
      connection: 'keep-alive'
    })
    res.write(': licensewire live sessions\n\n')

    let watch = watches.get(appId)
    if (watch === undefined) {
      watch = new AppSessionWatch(async () => (await repos.adminSessions.list(appId)).map(sessionJson), pollMs, app.log,
        () => { watches.delete(appId) })
      watches.set(appId, watch)
    }
    const subscriber: SessionSubscriber = {
      send: (event, data) => { res.write(`event: ${event}\ndata: ${JSON.stringify(data)}\n\n`) }
    }
    const keepAlive = setInterval(() => res.write(': keep-alive\n\n'), keepAliveMs)
    keepAlive.unref()
    const end = (): void => {
      clearInterval(keepAlive)
      streams.delete(end)
      watches.get(appId)?.remove(subscriber)
      if (!res.writableEnded) res.end()
    }
    streams.add(end)
    res.on('close', end)
    watch.add(subscriber)
  })
}
