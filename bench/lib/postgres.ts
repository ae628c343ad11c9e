import { spawnSync } from 'node:child_process'
import { existsSync, readFileSync } from 'node:fs'
import { join } from 'node:path'
import { hash } from '@node-rs/argon2'
import pg from 'pg'
import { HASH_OPTIONS } from '../../src/accounts/passwords.js'
import { migrate } from '../../src/db/migrate.js'
import { newApiKey } from '../../src/keys.js'
import type { Identity } from '../load/messages.js'
import { withChildren } from './proc.js'

pg.types.setTypeParser(pg.types.builtins.INT8, (value: string) => Number(value))

export interface Database {
  url: string
  /** Started by us (and stopped by `stop`), or given by DATABASE_URL. */
  own: boolean
  pool: pg.Pool
  version: string
  /** Postmaster and backend pids when the server runs on this machine and we can see it. */
  pids: () => number[]
  stop: () => Promise<void>
}

function cluster (root: string, dir: string, command: 'install' | 'start' | 'stop'): { ok: boolean, stdout: string, stderr: string } {
  const out = spawnSync('bash', [join(root, 'scripts/pg-test-cluster.sh'), command], {
    cwd: root, env: { ...process.env, PG_TEST_DIR: dir }, encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe']
  })
  return { ok: out.status === 0, stdout: out.stdout ?? '', stderr: out.stderr ?? '' }
}

/** Stops a cluster we started; safe to call from exit paths (synchronous). */
export function stopCluster (root: string, dir: string): void {
  cluster(root, dir, 'stop')
}

/**
 * DATABASE_URL when set; otherwise a throw-away cluster of our own in `dir`
 * (scripts/pg-test-cluster.sh, as .ci/run does). Migrations are applied here.
 */
export async function openDatabase (root: string, dir: string, onStarted: () => void): Promise<Database> {
  let url = process.env.DATABASE_URL?.trim() ?? ''
  const own = url === ''
  if (own) {
    const install = cluster(root, dir, 'install')
    if (!install.ok) throw new Error(`cannot install PostgreSQL:\n${install.stderr}`)
    let started = cluster(root, dir, 'start')
    if (!started.ok && /already running/.test(started.stderr)) {
      // Left over from an interrupted run.
      cluster(root, dir, 'stop')
      started = cluster(root, dir, 'start')
    }
    const last = started.stdout.trim().split('\n').pop() ?? ''
    if (!started.ok || !last.startsWith('DATABASE_URL=')) throw new Error(`cannot start PostgreSQL:\n${started.stderr}`)
    onStarted()
    url = last.slice('DATABASE_URL='.length)
  }
  const pool = new pg.Pool({ connectionString: url, max: 4 })
  pool.on('error', () => {})
  await migrate(pool)
  const { rows } = await pool.query<{ version: string }>('SELECT version() AS version')

  let postmaster: number | undefined
  try {
    const dataDir = own
      ? join(dir, 'pgdata')
      : (await pool.query<{ setting: string }>("SELECT setting FROM pg_settings WHERE name = 'data_directory'")).rows[0]?.setting
    const pidFile = dataDir === undefined ? '' : join(dataDir, 'postmaster.pid')
    if (pidFile !== '' && existsSync(pidFile)) postmaster = Number(readFileSync(pidFile, 'utf8').split('\n')[0])
  } catch {
    // A remote server, or no permission: its CPU is not reported.
  }

  return {
    url,
    own,
    pool,
    version: rows[0]!.version,
    pids: () => postmaster === undefined ? [] : withChildren(postmaster),
    stop: async () => {
      await pool.end()
      if (own) stopCluster(root, dir)
    }
  }
}

export interface SeededApp {
  id: number
  apiKey: string
  /** Identities of this app, one license each, in creation order. */
  identities: Identity[]
}

/** Removes every app, license, session, instance and cool-down: each run starts from nothing. */
export async function resetData (pool: pg.Pool): Promise<void> {
  await pool.query('TRUNCATE apps, licenses, accounts, account_creations, client_blacklist, sessions, instances, ip_cooldowns RESTART IDENTITY CASCADE')
}

/**
 * Apps with `licenses[i]` never-activated 30-day licenses each (levels {"tier":"pro"},
 * a comment, as a real seat would have). Keys and client ids are deterministic.
 * `signedLeases`: the apps' Ok answers carry signed leases (`--leases`).
 */
export async function seedApps (pool: pg.Pool, apps: { sessionLimit: number, licenses: number }[], signedLeases = false): Promise<SeededApp[]> {
  const seeded: SeededApp[] = []
  for (const [index, spec] of apps.entries()) {
    const apiKey = newApiKey()
    const { rows } = await pool.query<{ id: number }>(
      "INSERT INTO apps (name, version, websocket_api_key, session_limit, signed_leases) VALUES ($1, '1.0.0', $2, $3, $4) RETURNING id",
      [`Bench app ${index}`, apiKey, spec.sessionLimit, signedLeases])
    const id = rows[0]!.id
    const identities: Identity[] = Array.from({ length: spec.licenses }, (_, i) => ({
      apiKey,
      license: `BENCH-${index}-${String(i).padStart(6, '0')}`,
      clientId: `device-${index}-${i}`
    }))
    await pool.query(
      `INSERT INTO licenses (app_id, key, duration_seconds, levels, comment)
       SELECT $1, k, 30 * 86400, '{"tier":"pro"}', 'bench seat' FROM unnest($2::text[]) AS k`,
      [id, identities.map(i => i.license)])
    seeded.push({ id, apiKey, identities })
  }
  await pool.query('ANALYZE apps, licenses, sessions')
  return seeded
}

export const BENCH_PASSWORD = 'bench password 1234'

/**
 * An app with `count` accounts, each with BENCH_PASSWORD. They share one argon2id
 * hash (made here once, at the server's parameters): checking it costs a login what
 * any account's would.
 */
export async function seedAccounts (pool: pg.Pool, count: number): Promise<Identity[]> {
  const apiKey = newApiKey()
  const { rows } = await pool.query<{ id: number }>(
    "INSERT INTO apps (name, version, websocket_api_key, session_limit) VALUES ('Bench accounts', '1.0.0', $1, 1000000) RETURNING id",
    [apiKey])
  const id = rows[0]!.id
  const identities: Identity[] = Array.from({ length: count }, (_, i) => ({
    apiKey, license: '', clientId: `account-device-${i}`, login: `bench-user-${i}`, password: BENCH_PASSWORD
  }))
  await pool.query(
    `INSERT INTO accounts (app_id, login, credentials_type, password_hash, requires_license)
     SELECT $1, l, 0, $3, false FROM unnest($2::text[]) AS l`,
    [id, identities.map(i => i.login), await hash(BENCH_PASSWORD, HASH_OPTIONS)])
  await pool.query('ANALYZE accounts')
  return identities
}

/** The quota counter and the authorized session rows of one app. */
export async function authorizedCounts (pool: pg.Pool, appId: number): Promise<{ counter: number, rows: number }> {
  const { rows } = await pool.query<{ counter: number, rows: number }>(
    `SELECT authorized_sessions AS counter,
            (SELECT count(*)::integer FROM sessions WHERE app_id = $1 AND authorized_at IS NOT NULL) AS rows
       FROM apps WHERE id = $1`, [appId])
  return rows[0] ?? { counter: 0, rows: 0 }
}
