import type { Pool } from 'pg'
import { query } from '../db/query.js'

/** What an admin sets on an app (create and patch); the table has a default for each. */
export interface AppSettings {
  name: string
  version: string
  session_limit: number
  blacklist_limit: number
  paused: boolean
  accounts_limit: number
  accounts_require_license: boolean
  file_storage_limit_mib: number
  signed_leases: boolean
}

/** The settable columns; only these names ever reach the SQL text. */
const SETTINGS: readonly (keyof AppSettings)[] = ['name', 'version', 'session_limit', 'blacklist_limit', 'paused', 'accounts_limit', 'accounts_require_license', 'file_storage_limit_mib', 'signed_leases']

export interface AppRow extends AppSettings {
  id: number
  websocket_api_key: string
  created_at: Date
  updated_at: Date
}

const APP_COLUMNS = ['id', ...SETTINGS, 'websocket_api_key', 'created_at', 'updated_at'].join(', ')
const appColumns = (alias: string): string => APP_COLUMNS.split(', ').map(c => `${alias}.${c}`).join(', ')

export interface AppDetailRow extends AppRow {
  authorized_sessions: number
  online_sessions: number
}

/** The app after an update, with what it was before so callers can tell what changed. */
export interface AppUpdate {
  app: AppRow
  wasPaused: boolean
  oldVersion: string
  wasSignedLeases: boolean
}

/** The settings given, as column names and values, in SETTINGS order. */
function given (settings: Partial<AppSettings>): { columns: string[], values: unknown[] } {
  const columns = SETTINGS.filter(c => settings[c] !== undefined)
  return { columns, values: columns.map(c => settings[c]) }
}

export class AppsRepository {
  constructor (private readonly pool: Pool) {}

  /** Settings not given take the table's defaults. */
  async create (settings: Partial<AppSettings> & { name: string }, websocketApiKey: string): Promise<AppRow> {
    const { columns, values } = given(settings)
    const { rows } = await query<AppRow>(this.pool, 
      `INSERT INTO apps (websocket_api_key, ${columns.join(', ')})
       VALUES ($1, ${columns.map((_, i) => `$${i + 2}`).join(', ')}) RETURNING ${APP_COLUMNS}`,
      [websocketApiKey, ...values])
    return rows[0]!
  }

  async count (): Promise<number> {
    const { rows } = await query<{ n: number }>(this.pool, 'SELECT count(*)::integer AS n FROM apps')
    return rows[0]!.n
  }

  async list (): Promise<AppRow[]> {
    const { rows } = await query<AppRow>(this.pool, `SELECT ${APP_COLUMNS} FROM apps ORDER BY id`)
    return rows
  }

  async exists (id: number): Promise<boolean> {
    const { rowCount } = await query(this.pool, 'SELECT 1 FROM apps WHERE id = $1', [id])
    return rowCount === 1
  }

  async get (id: number): Promise<AppDetailRow | undefined> {
    const { rows } = await query<AppDetailRow>(this.pool,
      `SELECT ${appColumns('a')}, a.authorized_sessions,
              (SELECT count(*)::integer FROM sessions s WHERE s.app_id = a.id) AS online_sessions
         FROM apps a WHERE a.id = $1`, [id])
    return rows[0]
  }

  /** Absent fields keep their value; the old row is locked so the "before" values are exact. */
  async update (id: number, patch: Partial<AppSettings>): Promise<AppUpdate | undefined> {
    const { columns, values } = given(patch)
    const { rows } = await query<AppRow & { was_paused: boolean, old_version: string, was_signed_leases: boolean }>(this.pool,
      `UPDATE apps a SET ${columns.map((c, i) => `${c} = $${i + 2}, `).join('')}updated_at = now()
         FROM (SELECT id, paused, version, signed_leases FROM apps WHERE id = $1 FOR UPDATE) o
        WHERE a.id = o.id
       RETURNING ${appColumns('a')}, o.paused AS was_paused, o.version AS old_version, o.signed_leases AS was_signed_leases`,
      [id, ...values])
    const row = rows[0]
    if (row === undefined) return undefined
    const { was_paused: wasPaused, old_version: oldVersion, was_signed_leases: wasSignedLeases, ...app } = row
    return { app, wasPaused, oldVersion, wasSignedLeases }
  }

  async rotateKey (id: number, websocketApiKey: string): Promise<AppRow | undefined> {
    const { rows } = await query<AppRow>(this.pool,
      `UPDATE apps SET websocket_api_key = $2, updated_at = now() WHERE id = $1 RETURNING ${APP_COLUMNS}`,
      [id, websocketApiKey])
    return rows[0]
  }

  /** Licenses, accounts, blacklist entries, session rows and files go with the app (ON DELETE CASCADE). */
  async delete (id: number): Promise<boolean> {
    const { rowCount } = await query(this.pool, 'DELETE FROM apps WHERE id = $1', [id])
    return rowCount === 1
  }
}
