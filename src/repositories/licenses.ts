import type { Pool } from 'pg'
import type { LicenseView } from './sessions.js'

/** The license state a session's packets read afresh. */
export interface LicenseState extends Omit<LicenseView, 'status' | 'activated_now' | 'license_id'> {
  blacklisted: boolean
  activated: boolean
}

export class LicensesRepository {
  constructor (private readonly pool: Pool) {}

  async current (licenseId: number): Promise<LicenseState | undefined> {
    const { rows } = await this.pool.query<LicenseState>(
      `SELECT levels, comment, ip_address,
              extract(epoch FROM expires_at)::float8 AS expires_at,
              extract(epoch FROM paused_at)::float8 AS paused_at,
              extract(epoch FROM clock_timestamp())::float8 AS now,
              blacklisted_at IS NOT NULL AS blacklisted,
              activated_at IS NOT NULL AS activated
         FROM licenses WHERE id = $1`, [licenseId])
    return rows[0]
  }
}
