import type { Pool } from 'pg'
import { query } from '../db/query.js'

/** Per-IP cool-down after a rate-limit close, shared by every instance. */
export class CooldownsRepository {
  constructor (private readonly pool: Pool) {}

  async start (ip: string, ms: number): Promise<void> {
    await query(this.pool,
      `INSERT INTO ip_cooldowns (ip, until) VALUES ($1, clock_timestamp() + make_interval(secs => $2::float8 / 1000))
       ON CONFLICT (ip) DO UPDATE SET until = greatest(ip_cooldowns.until, EXCLUDED.until)`, [ip, ms])
  }
}
