import { readdir, readFile } from 'node:fs/promises'
import { existsSync } from 'node:fs'
import { dirname, join } from 'node:path'
import { fileURLToPath } from 'node:url'
import type { Pool } from 'pg'

/** The project's migrations/ folder, found from here whether we run from src/ or dist/src/. */
export function migrationsDir (): string {
  let dir = dirname(fileURLToPath(import.meta.url))
  while (true) {
    const candidate = join(dir, 'migrations')
    if (existsSync(candidate) && existsSync(join(dir, 'package.json'))) return candidate
    const parent = dirname(dir)
    if (parent === dir) throw new Error('licensewire: migrations/ folder not found')
    dir = parent
  }
}

/**
 * Applies every migrations/NNN_name.sql not yet applied, in name order, in one
 * transaction under a transaction-scoped advisory lock: replicas starting together
 * wait for each other instead of racing, and a failed migration leaves nothing behind.
 * Returns the names it applied.
 */
export async function migrate (pool: Pool, dir = migrationsDir()): Promise<string[]> {
  const files = (await readdir(dir)).filter(f => /^\d+_.+\.sql$/.test(f)).sort()
  const client = await pool.connect()
  try {
    await client.query('BEGIN')
    await client.query("SELECT pg_advisory_xact_lock(hashtext('licensewire:migrations'))")
    await client.query(`CREATE TABLE IF NOT EXISTS schema_migrations (
      name text PRIMARY KEY, applied_at timestamptz NOT NULL DEFAULT now())`)
    const done = new Set((await client.query<{ name: string }>('SELECT name FROM schema_migrations')).rows.map(r => r.name))
    const applied: string[] = []
    for (const file of files) {
      if (done.has(file)) continue
      await client.query(await readFile(join(dir, file), 'utf8'))
      await client.query('INSERT INTO schema_migrations (name) VALUES ($1)', [file])
      applied.push(file)
    }
    await client.query('COMMIT')
    return applied
  } catch (err) {
    await client.query('ROLLBACK').catch(() => {})
    throw err
  } finally {
    client.release()
  }
}
