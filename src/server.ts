import { realpathSync } from 'node:fs'
import { fileURLToPath } from 'node:url'
import Fastify, { type FastifyInstance } from 'fastify'
import licensewire from './index.js'
import { loadConfig, type ServiceConfig } from './config.js'
import { startEmbeddedPostgres, type EmbeddedPostgres } from './db/embedded.js'

export interface Service {
  app: FastifyInstance
  embedded: EmbeddedPostgres | undefined
  /** Not ready → drain sockets (1001) → in-flight work → pool → embedded database. */
  shutdown: () => Promise<void>
}

/** Builds the standalone service: env settings, embedded Postgres when no URL is set. */
export async function buildService (config: ServiceConfig): Promise<Service> {
  const app = Fastify({
    logger: {
      level: config.logLevel,
      redact: ['req.headers.authorization', 'req.headers["sec-websocket-key"]', 'req.headers["resume-id"]']
    },
    trustProxy: config.trustProxy ?? false,
    // Health checks and upgrades only; bodies are small JSON.
    bodyLimit: 1024 * 1024
  })
  let embedded: EmbeddedPostgres | undefined
  let connectionString = config.databaseUrl
  if (connectionString === undefined) {
    embedded = await startEmbeddedPostgres(config.pgliteDataDir)
    connectionString = embedded.connectionString
    app.log.warn(`DATABASE_URL is not set: using the embedded Postgres (PGlite) in ${config.pgliteDataDir === 'memory' ? 'memory' : config.pgliteDataDir}. It serves one process only; set DATABASE_URL for real deployments.`)
  }
  try {
    await app.register(licensewire, {
      ...config.plugin,
      connectionString,
      // PGlite runs one query at a time; one connection avoids interleaving.
      ...(embedded !== undefined ? { poolMax: 1, events: 'local' as const } : {}),
      seedDemo: embedded !== undefined
    })
    await app.ready()
  } catch (err) {
    await embedded?.stop()
    throw err
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
  // Installed before the (slow) start, so a stop during it still shuts down cleanly.
  for (const signal of ['SIGTERM', 'SIGINT'] as const) {
    process.once(signal, () => {
      state.signal = signal
      if (state.service !== undefined) stop(state.service)
    })
  }
  const service = state.service = await buildService(config)
  if (state.signal !== undefined) return stop(service)
  await service.app.listen({ port: config.port, host: config.host })
}

if (process.argv[1] !== undefined && fileURLToPath(import.meta.url) === realpathSync(process.argv[1])) {
  main().catch(err => {
    console.error(err instanceof Error ? err.message : err)
    process.exit(1)
  })
}
