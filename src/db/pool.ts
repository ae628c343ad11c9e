import pg from 'pg'

export interface PoolSettings {
  connectionString: string
  max: number
  statementTimeoutMs: number
  connectionTimeoutMs: number
  onError: (err: Error) => void
}

/** A pool with every bound explicit and an error listener, so an idle client dying never crashes us. */
export function createPool (settings: PoolSettings): pg.Pool {
  const pool = new pg.Pool({
    connectionString: settings.connectionString,
    max: settings.max,
    connectionTimeoutMillis: settings.connectionTimeoutMs,
    statement_timeout: settings.statementTimeoutMs,
    idleTimeoutMillis: 30000,
    application_name: 'licensewire'
  })
  pool.on('error', settings.onError)
  return pool
}
