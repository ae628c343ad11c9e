import { realpathSync } from 'node:fs'
import { fileURLToPath } from 'node:url'
import type { ServerOptions } from 'node:http'
import Fastify, { type FastifyInstance, type FastifyServerOptions } from 'fastify'
import pg from 'pg'
import licensewire from './index.js'
import { ConfigError, loadConfig, redactUrl, type ServiceConfig } from './config.js'
import { DataDirError, startEmbeddedPostgres, type EmbeddedPostgres } from './db/embedded.js'
import { migrate } from './db/migrate.js'
import { hintFirstApp, seedDemo } from './demo.js'
import { whereToFind } from './start-log.js'
import { redactedNotFound, redactingChildLogger } from './log-redaction.js'

export interface Service {
  app: FastifyInstance
  embedded: EmbeddedPostgres | undefined
  /** Not ready → drain sockets (1001) → in-flight work → pool → embedded database. */
  shutdown: () => Promise<void>
}

function logger (config: Pick<ServiceConfig, 'logLevel'>, stream?: { write: (line: string) => void }): FastifyServerOptions['logger'] {
  return {
    level: config.logLevel,
    redact: ['req.headers.authorization', 'req.headers["sec-websocket-key"]', 'req.headers["resume-id"]'],
    // Readable lines for a person at a terminal; JSON for everything else (a log
    // collector, a pipe, the tests). pino-pretty runs in pino's own worker thread.
    ...(stream !== undefined ? { stream } : process.stdout.isTTY ? { transport: { target: 'pino-pretty', options: { translateTime: 'SYS:HH:MM:ss.l', ignore: 'pid,hostname' } } } : {})
  }
}

/** Errors of the database connection that a person fixes in DATABASE_URL or on the server. */
const CONNECT_CODES: Record<string, string> = {
  ECONNREFUSED: 'nothing listens at that host and port',
  ENOTFOUND: 'the host name does not resolve',
  EAI_AGAIN: 'the host name does not resolve (DNS failed)',
  ETIMEDOUT: 'the connection timed out',
  EHOSTUNREACH: 'the host is unreachable',
  ECONNRESET: 'the server closed the connection',
  '28P01': 'the password was refused',
  28000: 'the user may not connect',
  '3D000': 'the database does not exist',
  '42501': 'the user lacks a privilege the migrations need'
}

/** A failed connection to DATABASE_URL, in the variable's words; anything else as it was. */
function databaseError (err: unknown, url: string): unknown {
  const { code, message } = (err ?? {}) as { code?: string, message?: string }
  const reason = (code !== undefined ? CONNECT_CODES[code] : undefined) ??
    (/timeout|terminated/i.test(message ?? '') ? 'the connection timed out or was cut' : undefined)
  if (reason === undefined) return err
  return new ConfigError([`DATABASE_URL=${redactUrl(url)}: cannot use the database: ${reason} (${code ?? message}). ` +
    'Fix: start Postgres there or correct the URL (user, password, host, port, database), or leave DATABASE_URL empty for the embedded database.'])
}

async function startEmbedded (dataDir: string): Promise<EmbeddedPostgres> {
  try {
    return await startEmbeddedPostgres(dataDir, {
      // A new directory's first migration runs in a worker that ends after it.
      setup: async connectionString => {
        const pool = new pg.Pool({ connectionString, max: 1 })
        try {
          await migrate(pool)
        } finally {
          await pool.end()
        }
      }
    })
  } catch (err) {
    if (!(err instanceof DataDirError)) throw err
    throw new ConfigError([`PGLITE_DATA_DIR=${dataDir}: ${err.message}. Fix: ${err.fix}.`])
  }
}

/**
 * The HTTP server's timeouts. A WebSocket upgrade is headers only, so the headers
 * timeout is its whole deadline: a client that trickles them (slowloris) holds a
 * descriptor for at most that long plus the checking interval (Node's defaults:
 * 60 s + 30 s).
 */
export function httpTimeouts (config: Pick<ServiceConfig, 'headersTimeoutMs'>): { http: ServerOptions } {
  return {
    http: {
      headersTimeout: config.headersTimeoutMs,
      // How often Node looks for connections past the timeout.
      connectionsCheckingInterval: Math.min(1000, config.headersTimeoutMs)
    }
  }
}

/** The standalone service's Fastify instance, before licensewire is registered on it. */
export function serviceApp (
  config: Pick<ServiceConfig, 'logLevel' | 'trustProxy' | 'headersTimeoutMs'>,
  /** Where the log goes; stdout unless given (tests read it). */
  logStream?: { write: (line: string) => void }
): FastifyInstance {
  const app = Fastify({
    logger: logger(config, logStream),
    trustProxy: config.trustProxy ?? false,
    // Health checks and upgrades only; bodies are small JSON.
    bodyLimit: 1024 * 1024,
    ...httpTimeouts(config)
  })
  // The whole server is ours: every request, an unknown URL's included, is logged redacted.
  app.setChildLoggerFactory(redactingChildLogger)
  app.setNotFoundHandler(redactedNotFound)
  return app
}

/** Builds the standalone service: env settings, embedded Postgres when no URL is set. */
export async function buildService (config: ServiceConfig): Promise<Service> {
  const app = serviceApp(config)
  let embedded: EmbeddedPostgres | undefined
  let connectionString = config.databaseUrl
  if (connectionString === undefined) {
    embedded = await startEmbedded(config.pgliteDataDir)
    connectionString = embedded.connectionString
    app.log.warn(`DATABASE_URL is not set: using the embedded Postgres (PGlite) in ${config.pgliteDataDir === 'memory' ? 'memory' : config.pgliteDataDir}. It serves one process only; set DATABASE_URL for real deployments.`)
  }
  try {
    await app.register(licensewire, {
      ...config.plugin,
      connectionString,
      // PGlite runs one query at a time; one connection avoids interleaving.
      ...(embedded !== undefined ? { poolMax: 1, events: 'local' as const } : {})
    })
    await app.ready()
    const { repos } = app.licensewireDb
    if (embedded !== undefined) await seedDemo(repos, app.log, config.pgliteDataDir)
    else await hintFirstApp(repos, app.log, (config.plugin.adminTokens ?? []).length > 0)
  } catch (err) {
    await app.close().catch(() => {})
    await embedded?.stop()
    throw config.databaseUrl !== undefined ? databaseError(err, config.databaseUrl) : err
  }
  let closing: Promise<void> | undefined
  return {
    app,
    embedded,
    shutdown: () => {
      closing ??= (async () => {
        await app.close()
        await embedded?.stop()
      })()
      return closing
    }
  }
}

async function main (): Promise<void> {
  const config = loadConfig()
  const state: { service?: Service, signal?: NodeJS.Signals } = {}
  const stop = (service: Service): void => {
    service.app.log.info({ signal: state.signal }, 'shutting down')
    service.shutdown().then(() => process.exit(0), err => {
      service.app.log.error({ err }, 'shutdown failed')
      process.exit(1)
    })
  }
  // Installed before the (slow) start. A stop during it ends the process at once:
  // a start may be stuck (an unreachable database, a slow first start) and must not
  // make SIGTERM wait for it. The embedded database's lock goes with the process.
  for (const signal of ['SIGTERM', 'SIGINT'] as const) {
    process.once(signal, () => {
      state.signal = signal
      if (state.service !== undefined) return stop(state.service)
      console.error(`licensewire: ${signal} during start, stopping`)
      process.exit(0)
    })
  }
  const service = state.service = await buildService(config)
  if (state.signal !== undefined) return stop(service)
  await service.app.listen({ port: config.port, host: config.host })
  for (const line of whereToFind(service.app, config)) service.app.log.info(line)
}

if (process.argv[1] !== undefined && fileURLToPath(import.meta.url) === realpathSync(process.argv[1])) {
  main().catch(err => {
    console.error(err instanceof Error ? err.message : err)
    process.exit(1)
  })
}
