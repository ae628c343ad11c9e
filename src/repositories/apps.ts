import type { Pool } from 'pg'
import { query } from '../db/query.js'

export interface AppRow {
  id: number
  name: string
  version: string
  websocket_api_key: string
  session_limit: number
  paused: boolean
  created_at: Date
  updated_at: Date
}

export interface NewApp {
  name: string
  version?: string
  websocketApiKey: string
  sessionLimit?: number
  paused?: boolean
}

const APP_COLUMNS = 'id, name, version, websocket_api_key, session_limit, paused, created_at, updated_at'
const appColumns = (alias: string): string => APP_COLUMNS.split(', ').map(c => `${alias}.${c}`).join(', ')

export interface AppDetailRow extends AppRow {
  authorized_sessions: number
  online_sessions: number
}

export interface AppPatch {
  name?: string
  version?: string
  sessionLimit?: number
  paused?: boolean
}

/** The app after an update, with what it was before so callers can tell what changed. */
export interface AppUpdate {
  app: AppRow
  wasPaused: boolean
  oldVersion: string
}

export class AppsRepository {
  constructor (private readonly pool: Pool) {}

  async create (app: NewApp): Promise<AppRow> {
    const { rows } = await query<AppRow>(this.pool,
      `INSERT INTO apps (name, version, websocket_api_key, session_limit, paused)
       VALUES ($1, $2, $3, $4, $5) RETURNING ${APP_COLUMNS}`,
      [app.name, app.version ?? '1.0.0', app.websocketApiKey, app.sessionLimit ?? 100, app.paused ?? false])
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
  async update (id: number, patch: AppPatch): Promise<AppUpdate | undefined> {
    const { rows } = await query<AppRow & { was_paused: boolean, old_version: string }>(this.pool,
      `UPDATE apps a SET name = coalesce($2, o.name), version = coalesce($3, o.version),
              session_limit = coalesce($4, o.session_limit), paused = coalesce($5, o.paused),
              updated_at = now()
         FROM (SELECT id, name, version, session_limit, paused FROM apps WHERE id = $1 FOR UPDATE) o
        WHERE a.id = o.id
       RETURNING ${appColumns('a')}, o.paused AS was_paused, o.version AS old_version`,
      [id, patch.name ?? null, patch.version ?? null, patch.sessionLimit ?? null, patch.paused ?? null])
    const row = rows[0]
    if (row === undefined) return undefined
    const { was_paused: wasPaused, old_version: oldVersion, ...app } = row
    return { app, wasPaused, oldVersion }
  }

  async rotateKey (id: number, websocketApiKey: string): Promise<AppRow | undefined> {
    const { rows } = await query<AppRow>(this.pool,
      `UPDATE apps SET websocket_api_key = $2, updated_at = now() WHERE id = $1 RETURNING ${APP_COLUMNS}`,
      [id, websocketApiKey])
    return rows[0]
  }

  /** Licenses, blacklist entries and session rows go with the app (ON DELETE CASCADE). */
  async delete (id: number): Promise<boolean> {
    const { rowCount } = await query(this.pool, 'DELETE FROM apps WHERE id = $1', [id])
    return rowCount === 1
  }
}
