import type { Pool } from 'pg'
import { query } from '../db/query.js'

export interface SampleRow {
  at: Date
  authorized: number
}

/**
 * The console chart's series (migrations/011_console_samples.sql): every app's
 * authorized sessions, one row per app and interval, kept for a little over an hour.
 */
export class ConsoleSamplesRepository {
  constructor (private readonly pool: Pool) {}

  /**
   * Records every app's authorized sessions at the start of the current interval.
   * Instances sampling the same interval collide on the key; the first one wins.
   * Also drops samples older than `keepSeconds`.
   */
  async sample (intervalSeconds: number, keepSeconds: number): Promise<void> {
    await query(this.pool,
      `INSERT INTO console_samples (app_id, at, authorized)
       SELECT id, to_timestamp(floor(extract(epoch FROM now()) / $1) * $1), authorized_sessions FROM apps
       ON CONFLICT (app_id, at) DO NOTHING`, [intervalSeconds])
    await query(this.pool,
      'DELETE FROM console_samples WHERE at < now() - make_interval(secs => $1)', [keepSeconds])
  }

  /** The app's samples of the last `seconds`, oldest first. */
  async series (appId: number, seconds: number): Promise<SampleRow[]> {
    const { rows } = await query<SampleRow>(this.pool,
      `SELECT at, authorized FROM console_samples
        WHERE app_id = $1 AND at >= now() - make_interval(secs => $2) ORDER BY at`, [appId, seconds])
    return rows
  }
}
