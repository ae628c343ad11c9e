import type { Pool } from 'pg'
import { query } from '../db/query.js'

/** Who put a client id on the blacklist: an administrator, or the client itself (packet 6). */
export type BlacklistSource = 'admin' | 'client'

export interface BlacklistEntryRow {
  client_id: string
  comment: string | null
  source: BlacklistSource
  created_at: Date
}

/** Client ids an app refuses at Initialize (status 503, close 4204). */
export class BlacklistRepository {
  constructor (private readonly pool: Pool) {}

  async list (appId: number): Promise<BlacklistEntryRow[]> {
    const { rows } = await query<BlacklistEntryRow>(this.pool, 
      'SELECT client_id, comment, source, created_at FROM client_blacklist WHERE app_id = $1 ORDER BY created_at, client_id',
      [appId])
    return rows
  }

  /** undefined when the client id is blacklisted already. */
  async add (appId: number, clientId: string, comment: string | null): Promise<BlacklistEntryRow | undefined> {
    const { rows } = await query<BlacklistEntryRow>(this.pool,
      `INSERT INTO client_blacklist (app_id, client_id, comment) VALUES ($1, $2, $3)
       ON CONFLICT (app_id, client_id) DO NOTHING
       RETURNING client_id, comment, source, created_at`, [appId, clientId, comment])
    return rows[0]
  }

  async remove (appId: number, clientId: string): Promise<boolean> {
    const { rowCount } = await query(this.pool,
      'DELETE FROM client_blacklist WHERE app_id = $1 AND client_id = $2', [appId, clientId])
    return rowCount === 1
  }
}
