import type { Pool } from 'pg'

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

export interface NewLicense {
  key: string
  durationSeconds: number
  levels?: Record<string, unknown>
  comment?: string | null
}

const APP_COLUMNS = 'id, name, version, websocket_api_key, session_limit, paused, created_at, updated_at'

export class AppsRepository {
  constructor (private readonly pool: Pool) {}

  async create (app: NewApp): Promise<AppRow> {
    const { rows } = await this.pool.query<AppRow>(
      `INSERT INTO apps (name, version, websocket_api_key, session_limit, paused)
       VALUES ($1, $2, $3, $4, $5) RETURNING ${APP_COLUMNS}`,
      [app.name, app.version ?? '1.0.0', app.websocketApiKey, app.sessionLimit ?? 100, app.paused ?? false])
    return rows[0]!
  }

  async count (): Promise<number> {
    const { rows } = await this.pool.query<{ n: number }>('SELECT count(*)::integer AS n FROM apps')
    return rows[0]!.n
  }

  async addLicenses (appId: number, licenses: NewLicense[]): Promise<void> {
    await this.pool.query(
      `INSERT INTO licenses (app_id, key, duration_seconds, levels, comment)
       SELECT $1, l.key, l.duration_seconds, coalesce(l.levels, '{}'::jsonb), l.comment
         FROM jsonb_to_recordset($2::jsonb) AS l(key text, duration_seconds bigint, levels jsonb, comment text)`,
      [appId, JSON.stringify(licenses.map(l => ({
        key: l.key, duration_seconds: l.durationSeconds, levels: l.levels ?? {}, comment: l.comment ?? null
      })))])
  }
}
