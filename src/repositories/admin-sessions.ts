import type { Pool } from 'pg'
import { query } from '../db/query.js'

export interface SessionListRow {
  id: string
  instance_id: string
  client_id: string
  ip_address: string | null
  /** The key of the license the session is authorized with. */
  license: string | null
  /** The login of the account the session is authorized with. */
  login: string | null
  initialized_at: Date
  authorized_at: Date | null
  /** Set while the session is suspended, waiting to be resumed (docs/protocol.md §9). */
  suspended_until: Date | null
}

/** Live sessions as the management API lists them: the rows of every instance. */
export class AdminSessionsRepository {
  constructor (private readonly pool: Pool) {}

  async list (appId: number): Promise<SessionListRow[]> {
    const { rows } = await query<SessionListRow>(this.pool, 
      `SELECT s.id, s.instance_id, s.client_id, s.ip_address, l.key AS license, u.login, s.initialized_at, s.authorized_at, s.suspended_until
         FROM sessions s LEFT JOIN licenses l ON l.id = s.license_id LEFT JOIN accounts u ON u.id = s.account_id
        WHERE s.app_id = $1
        ORDER BY s.initialized_at, s.id`, [appId])
    return rows
  }

  /** Ends the session if it is suspended (no instance holds it to close); true when it did. */
  async endSuspended (appId: number, sessionId: string): Promise<boolean> {
    const { rows } = await query<{ ended: boolean }>(this.pool,
      'SELECT lw_end_suspended_session($1, $2) AS ended', [appId, sessionId])
    return rows[0]!.ended
  }

  async exists (appId: number, sessionId: string): Promise<boolean> {
    const { rowCount } = await query(this.pool,
      'SELECT 1 FROM sessions WHERE app_id = $1 AND id = $2', [appId, sessionId])
    return rowCount === 1
  }
}
