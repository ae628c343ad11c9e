import type { Pool } from 'pg'
import { newApiKey, newLicenseKey } from '../../src/keys.js'

export interface TestApp {
  id: number
  key: string
}

export async function createApp (pool: Pool, opts: { sessionLimit?: number, blacklistLimit?: number, paused?: boolean, name?: string, version?: string } = {}): Promise<TestApp> {
  const key = newApiKey()
  const { rows } = await pool.query<{ id: number }>(
    `INSERT INTO apps (name, version, websocket_api_key, session_limit, blacklist_limit, paused)
     VALUES ($1, $2, $3, $4, $5, $6) RETURNING id`,
    [opts.name ?? 'Test app', opts.version ?? '2.1.0', key, opts.sessionLimit ?? 100, opts.blacklistLimit ?? 10000, opts.paused ?? false])
  return { id: Number(rows[0]!.id), key }
}

export interface LicenseFixture {
  key?: string
  durationSeconds?: number
  levels?: Record<string, unknown>
  comment?: string | null
  /** Seconds relative to now; null = never activated. */
  activatedAgo?: number | null
  expiresIn?: number | null
  pausedAgo?: number | null
  blacklisted?: boolean
  clientId?: string | null
  ipAddress?: string | null
}

export async function createLicense (pool: Pool, appId: number, f: LicenseFixture = {}): Promise<string> {
  const key = f.key ?? newLicenseKey()
  await pool.query(
    `INSERT INTO licenses (app_id, key, duration_seconds, levels, comment, activated_at, expires_at,
                           paused_at, blacklisted_at, client_id, ip_address)
     VALUES ($1, $2, $3, $4, $5,
             CASE WHEN $6::float8 IS NULL THEN NULL ELSE now() - make_interval(secs => $6::float8) END,
             CASE WHEN $7::float8 IS NULL THEN NULL ELSE now() + make_interval(secs => $7::float8) END,
             CASE WHEN $8::float8 IS NULL THEN NULL ELSE now() - make_interval(secs => $8::float8) END,
             CASE WHEN $9 THEN now() ELSE NULL END, $10, $11)`,
    [appId, key, f.durationSeconds ?? 86400, JSON.stringify(f.levels ?? { tier: 'pro' }),
      f.comment === undefined ? 'main seat' : f.comment,
      f.activatedAgo ?? null, f.expiresIn ?? null, f.pausedAgo ?? null, f.blacklisted ?? false,
      f.clientId ?? null, f.ipAddress ?? null])
  return key
}

export async function createLicenses (pool: Pool, appId: number, count: number, durationSeconds = 86400): Promise<string[]> {
  const keys = Array.from({ length: count }, () => newLicenseKey())
  await pool.query(
    `INSERT INTO licenses (app_id, key, duration_seconds) SELECT $1, k, $3 FROM unnest($2::text[]) AS k`,
    [appId, keys, durationSeconds])
  return keys
}

export async function licenseRow (pool: Pool, appId: number, key: string): Promise<Record<string, unknown> | undefined> {
  const { rows } = await pool.query(
    `SELECT client_id, ip_address, activated_at, expires_at, blacklisted_at, blacklist_comment,
            extract(epoch FROM expires_at)::float8 AS expires_epoch
       FROM licenses WHERE app_id = $1 AND key = $2`, [appId, key])
  return rows[0]
}

export async function authorizedSessions (pool: Pool, appId: number): Promise<number> {
  const { rows } = await pool.query<{ n: number, c: string }>(
    `SELECT authorized_sessions AS n,
            (SELECT count(*) FROM sessions WHERE app_id = $1 AND authorized_at IS NOT NULL) AS c
       FROM apps WHERE id = $1`, [appId])
  const row = rows[0]!
  // The counter and the rows must agree, always.
  if (Number(row.c) !== Number(row.n)) throw new Error(`quota counter ${row.n} != authorized rows ${row.c}`)
  return Number(row.n)
}

export async function sessionRows (pool: Pool, appId: number): Promise<number> {
  const { rows } = await pool.query<{ n: string }>('SELECT count(*) AS n FROM sessions WHERE app_id = $1', [appId])
  return Number(rows[0]!.n)
}

export async function blacklistClient (pool: Pool, appId: number, clientId: string): Promise<void> {
  await pool.query('INSERT INTO client_blacklist (app_id, client_id) VALUES ($1, $2)', [appId, clientId])
}

/** The app's client-id blacklist, oldest first. */
export async function blacklistEntries (pool: Pool, appId: number): Promise<{ client_id: string, comment: string | null, source: string }[]> {
  const { rows } = await pool.query(
    'SELECT client_id, comment, source FROM client_blacklist WHERE app_id = $1 ORDER BY created_at, client_id', [appId])
  return rows
}
