import pg from 'pg'
import { startEmbeddedPostgres } from '../../src/db/embedded.js'
import { migrate } from '../../src/db/migrate.js'
import { onEnd, type TestScope } from './cleanup.js'

export interface TestDatabase {
  connectionString: string
  /** A real Postgres server (DATABASE_URL / TEST_DATABASE_URL) rather than PGlite. */
  real: boolean
  /** For assertions and fixtures; SQL in tests stays in these helpers. */
  pool: pg.Pool
  stop: () => Promise<void>
}

export function realDatabaseUrl (): string | undefined {
  const url = process.env.TEST_DATABASE_URL ?? process.env.DATABASE_URL
  return url === undefined || url === '' ? undefined : url
}

/**
 * A real Postgres when one is configured, else a throw-away embedded one; stopped
 * when `t` ends, after the servers started on it.
 */
export async function testDatabase (t: TestScope): Promise<TestDatabase> {
  const db = await openDatabase()
  onEnd(t, db.stop)
  await migrate(db.pool)
  return db
}

async function openDatabase (): Promise<TestDatabase> {
  const url = realDatabaseUrl()
  if (url !== undefined) {
    const pool = new pg.Pool({ connectionString: url, max: 4 })
    return { connectionString: url, real: true, pool, stop: () => pool.end() }
  }
  const embedded = await startEmbeddedPostgres('memory')
  // One connection: PGlite runs one query at a time and its socket multiplexer
  // must not interleave two clients' extended-protocol messages.
  const pool = new pg.Pool({ connectionString: embedded.connectionString, max: 1 })
  return {
    connectionString: embedded.connectionString,
    real: false,
    pool,
    stop: async () => { await pool.end(); await embedded.stop() }
  }
}

/** The same pool, with `before` run ahead of each query whose text contains `match`. */
function interceptedPool (pool: pg.Pool, match: string | (() => string | null), before: () => Promise<void>): pg.Pool {
  return new Proxy(pool, {
    get (target, prop, receiver) {
      if (prop !== 'query') return Reflect.get(target, prop, receiver)
      return async (...args: unknown[]) => {
        const pattern = typeof match === 'string' ? match : match()
        // Repositories pass a query config ({ text, values, types }); tests pass text.
        const text = typeof args[0] === 'string' ? args[0] : (args[0] as { text?: string } | undefined)?.text
        if (pattern !== null && text?.includes(pattern) === true) await before()
        return (target.query as (...a: unknown[]) => Promise<unknown>).apply(target, args)
      }
    }
  })
}

/** The same pool, with queries whose text contains `match` held back for `ms` first. */
export function slowPool (pool: pg.Pool, match: string, ms: number): pg.Pool {
  return interceptedPool(pool, match, () => new Promise(resolve => setTimeout(resolve, ms)))
}

/** The same pool, failing the queries whose text contains what `failing()` names (null: none). */
export function failingPool (pool: pg.Pool, failing: () => string | null): pg.Pool {
  return interceptedPool(pool, failing, async () => { throw new Error('connection terminated unexpectedly') })
}
