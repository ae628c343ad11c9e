import { createHash } from 'node:crypto'
import { readdir, readFile } from 'node:fs/promises'
import { existsSync } from 'node:fs'
import { dirname, join } from 'node:path'
import { fileURLToPath } from 'node:url'
import type { Pool, PoolClient } from 'pg'

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

interface FunctionFile {
  name: string
  sql: string
  sha256: string
}

async function functionFiles (dir: string): Promise<FunctionFile[]> {
  if (!existsSync(dir)) return []
  const names = (await readdir(dir)).filter(f => f.endsWith('.sql')).sort()
  return Promise.all(names.map(async name => {
    const sql = await readFile(join(dir, name), 'utf8')
    return { name, sql, sha256: createHash('sha256').update(sql).digest('hex') }
  }))
}

/**
 * Brings the database up to date in one transaction under a transaction-scoped
 * advisory lock: replicas starting together wait for each other instead of racing,
 * and a failure leaves nothing behind. Two steps:
 *
 * 1. Schema migrations, `NNN_name.sql`: append-only, each applied once, in name order.
 * 2. Function files, `functions/<function>.sql`: each one defines one SQL function
 *    and is applied again whenever its content changes (its hash is recorded), so
 *    changing a function is a diff of its file. They run after the schema step,
 *    against the final tables, which validates LANGUAGE sql bodies on creation.
 *    A migration that creates a trigger therefore creates a do-nothing function
 *    for it first (see 003), which the file then replaces in this same transaction.
 *    A file uses CREATE OR REPLACE, preceded by DROP FUNCTION IF EXISTS when its
 *    signature changes; dropping a function for good is a schema migration.
 *
 * Returns what it applied: migration names and `functions/<file>` names.
 */
export async function migrate (pool: Pool, dir = migrationsDir()): Promise<string[]> {
  const migrations = (await readdir(dir)).filter(f => /^\d+_.+\.sql$/.test(f)).sort()
  const functions = await functionFiles(join(dir, 'functions'))
  const client = await pool.connect()
  try {
    await client.query('BEGIN')
    await client.query("SELECT pg_advisory_xact_lock(hashtext('licensewire:migrations'))")
    const applied = [
      ...await applyMigrations(client, dir, migrations),
      ...await applyFunctions(client, functions)
    ]
    await client.query('COMMIT')
    return applied
  } catch (err) {
    await client.query('ROLLBACK').catch(() => {})
    throw err
  } finally {
    client.release()
  }
}

async function applyMigrations (client: PoolClient, dir: string, files: string[]): Promise<string[]> {
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
  return applied
}

async function applyFunctions (client: PoolClient, files: FunctionFile[]): Promise<string[]> {
  await client.query(`CREATE TABLE IF NOT EXISTS schema_functions (
    name text PRIMARY KEY, sha256 text NOT NULL, applied_at timestamptz NOT NULL DEFAULT now())`)
  const { rows } = await client.query<{ name: string, sha256: string }>('SELECT name, sha256 FROM schema_functions')
  const recorded = new Map(rows.map(r => [r.name, r.sha256]))
  const applied: string[] = []
  for (const file of files) {
    if (recorded.get(file.name) === file.sha256) continue
    await client.query(file.sql)
    await client.query(
      `INSERT INTO schema_functions (name, sha256) VALUES ($1, $2)
       ON CONFLICT (name) DO UPDATE SET sha256 = EXCLUDED.sha256, applied_at = now()`, [file.name, file.sha256])
    applied.push(`functions/${file.name}`)
  }
  return applied
}
