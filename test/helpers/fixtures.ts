import { hash } from '@node-rs/argon2'
import type { Pool } from 'pg'
import { HASH_OPTIONS } from '../../src/accounts/passwords.js'
import { newApiKey, newLicenseKey } from '../../src/keys.js'

export interface TestApp {
  id: number
  key: string
}

export interface AppFixture {
  sessionLimit?: number
  blacklistLimit?: number
  paused?: boolean
  name?: string
  version?: string
  accountsLimit?: number
  accountsRequireLicense?: boolean
  signedLeases?: boolean
}

export async function createApp (pool: Pool, opts: AppFixture = {}): Promise<TestApp> {
  const key = newApiKey()
  const { rows } = await pool.query<{ id: number }>(
    `INSERT INTO apps (name, version, websocket_api_key, session_limit, blacklist_limit, paused, accounts_limit, accounts_require_license, signed_leases)
     VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9) RETURNING id`,
    [opts.name ?? 'Test app', opts.version ?? '2.1.0', key, opts.sessionLimit ?? 100, opts.blacklistLimit ?? 10000, opts.paused ?? false,
      opts.accountsLimit ?? 10000, opts.accountsRequireLicense ?? false, opts.signedLeases ?? false])
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

/** The password every fixture account has, and its argon2id hash, made once per process. */
export const PASSWORD = 'correct horse battery'
let passwordHash: Promise<string> | undefined

export interface AccountFixture {
  login?: string
  credentialsType?: 0 | 1
  comment?: string | null
  requiresLicense?: boolean
  blacklisted?: boolean
  ipAddress?: string | null
  /** Keys of licenses of the app to link, as they are (createLicense decides their state). */
  licenses?: string[]
}

export interface AccountRef {
  id: number
  login: string
}

let accounts = 0

/** An account straight in the table, with PASSWORD as its password. */
export async function createAccount (pool: Pool, appId: number, f: AccountFixture = {}): Promise<AccountRef> {
  passwordHash ??= hash(PASSWORD, HASH_OPTIONS)
  const login = f.login ?? `user-${process.pid}-${++accounts}`
  const { rows } = await pool.query<{ id: number }>(
    `INSERT INTO accounts (app_id, login, credentials_type, password_hash, comment, requires_license, blacklisted_at, ip_address)
     VALUES ($1, $2, $3, $4, $5, $6, CASE WHEN $7 THEN now() ELSE NULL END, $8) RETURNING id`,
    [appId, login, f.credentialsType ?? 0, await passwordHash, f.comment === undefined ? 'vip' : f.comment,
      f.requiresLicense ?? false, f.blacklisted ?? false, f.ipAddress ?? null])
  const id = Number(rows[0]!.id)
  if (f.licenses !== undefined) {
    await pool.query('UPDATE licenses SET account_id = $1 WHERE app_id = $2 AND key = ANY($3::text[])', [id, appId, f.licenses])
  }
  return { id, login }
}

/** The account's row as stored, every column. */
export async function accountRow (pool: Pool, appId: number, login: string): Promise<Record<string, unknown> | undefined> {
  const { rows } = await pool.query('SELECT * FROM accounts WHERE app_id = $1 AND lower(login) = lower($2)', [appId, login])
  return rows[0]
}

/** The account a license is linked to, with the license's activation. */
export async function licenseLink (pool: Pool, appId: number, key: string): Promise<{ account_id: number | null, activated: boolean, client_id: string | null, expires_epoch: number | null }> {
  const { rows } = await pool.query(
    `SELECT account_id, activated_at IS NOT NULL AS activated, client_id, extract(epoch FROM expires_at)::float8 AS expires_epoch
       FROM licenses WHERE app_id = $1 AND key = $2`, [appId, key])
  const row = rows[0]
  return { ...row, account_id: row.account_id === null ? null : Number(row.account_id) }
}

export async function accountCount (pool: Pool, appId: number): Promise<number> {
  const { rows } = await pool.query<{ n: string }>('SELECT count(*) AS n FROM accounts WHERE app_id = $1', [appId])
  return Number(rows[0]!.n)
}

/** The id of the live session of that client (the `sid` of its leases). */
export async function sessionIdOf (pool: Pool, appId: number, clientId: string): Promise<string> {
  const { rows } = await pool.query<{ id: string }>('SELECT id FROM sessions WHERE app_id = $1 AND client_id = $2', [appId, clientId])
  if (rows.length !== 1) throw new Error(`${rows.length} sessions of client ${clientId}`)
  return rows[0]!.id
}

/**
 * Rewrites a suspended session as an instance of the version before migration 013
 * leaves it: its answers as [id, frame] pairs inside the state, and `staleText` in the
 * answers column from an earlier suspension.
 */
export async function suspendAsOldVersion (pool: Pool, sessionId: string, answers: [number, string][], staleText: string): Promise<void> {
  const { rowCount } = await pool.query(
    `UPDATE sessions SET resume_state = jsonb_set(resume_state, '{answers}', $2::jsonb), resume_answers = $3
      WHERE id = $1 AND suspended_until IS NOT NULL`, [sessionId, JSON.stringify(answers), staleText])
  if (rowCount !== 1) throw new Error(`session ${sessionId} is not suspended`)
}

/** Every stored private key (PEM) of the lease signing keys, to look for in logs and answers. */
export async function storedPrivateKeys (pool: Pool): Promise<string[]> {
  const { rows } = await pool.query<{ private_key: string }>('SELECT private_key FROM signing_keys WHERE private_key IS NOT NULL')
  return rows.map(r => r.private_key)
}
