import type { Pool } from 'pg'
import { query } from '../db/query.js'

/**
 * Server instances and their leases. A session counts while its instance's lease
 * holds; any live instance sweeps the dead ones, so a crash needs no manual step.
 */
export class InstancesRepository {
  constructor (private readonly pool: Pool) {}

  async register (instanceId: string, leaseMs: number): Promise<void> {
    await query(this.pool,
      `INSERT INTO instances (id, lease_expires_at)
       VALUES ($1, clock_timestamp() + make_interval(secs => $2::float8 / 1000))
       ON CONFLICT (id) DO UPDATE SET lease_expires_at = EXCLUDED.lease_expires_at`,
      [instanceId, leaseMs])
  }

  /** Extends the lease; false when the row is gone (another instance swept us). */
  async renew (instanceId: string, leaseMs: number): Promise<boolean> {
    const { rowCount } = await query(this.pool,
      `UPDATE instances SET lease_expires_at = clock_timestamp() + make_interval(secs => $2::float8 / 1000)
        WHERE id = $1`, [instanceId, leaseMs])
    return rowCount === 1
  }

  /** Removes dead instances with their sessions and quota slots; returns the sessions removed. */
  async sweep (): Promise<number> {
    const { rows } = await query<{ n: number }>(this.pool, 'SELECT lw_sweep_dead_instances() AS n')
    return rows[0]!.n
  }

  /** Graceful shutdown: this instance's sessions and slots go at once. */
  async retire (instanceId: string): Promise<void> {
    await query(this.pool, 'SELECT lw_retire_instance($1)', [instanceId])
  }
}
