import fp from 'fastify-plugin'
import type { Pool } from 'pg'
import { createPool } from '../src/db/pool.js'
import { migrate } from '../src/db/migrate.js'
import { createRepositories, type Repositories } from '../src/repositories/index.js'
import type { ResolvedOptions } from '../src/options.js'

export interface LicensewireDb {
  pool: Pool
  repos: Repositories
}

/** The pool (the host's, or our own), migrations and repositories. */
export default fp<ResolvedOptions>(async function licensewireDatabase (app, options) {
  const ownPool = options.pool === undefined
  const pool = options.pool ?? createPool({
    connectionString: options.connectionString!,
    max: options.poolMax,
    statementTimeoutMs: options.statementTimeoutMs,
    connectionTimeoutMs: options.connectionTimeoutMs,
    onError: err => app.log.error({ err }, 'idle Postgres client failed')
  })
  // A pool the host passed in is the host's to end.
  if (ownPool) app.addHook('onClose', async () => { await pool.end() })

  if (options.migrate) {
    const applied = await migrate(pool)
    if (applied.length > 0) app.log.info({ applied }, 'database migrations applied')
  }
  const repos = createRepositories(pool)
  app.decorate('licensewireDb', { pool, repos })
}, { name: 'licensewire-database', fastify: '5.x' })
