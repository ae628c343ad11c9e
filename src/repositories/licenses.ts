import type { Pool } from 'pg'
import { query } from '../db/query.js'
import type { LicenseView } from './sessions.js'

/** The license state a session's packets read afresh. */
export interface LicenseState extends Omit<LicenseView, 'status' | 'activated_now' | 'license_id'> {
  blacklisted: boolean
  activated: boolean
}

export type LicenseStateName = 'available' | 'active' | 'expired' | 'paused' | 'blacklisted'

/** A license as the management API shows it. */
export interface LicenseRow {
  id: number
  key: string
  levels: Record<string, unknown>
  comment: string | null
  duration_seconds: number
  state: LicenseStateName
  activated_at: Date | null
  expires_at: Date | null
  paused_at: Date | null
  blacklisted_at: Date | null
  blacklist_comment: string | null
  client_id: string | null
  ip_address: string | null
  /** The account it is linked to, if any. */
  account_id: number | null
  created_at: Date
  updated_at: Date
}

/** The license after an action, and whether the action changed anything. */
export interface LicenseChange {
  license: LicenseRow
  changed: boolean
}

export interface LicensePage {
  state?: LicenseStateName
  /** Only keys starting with this. */
  prefix?: string
  /** Keyset pagination: only licenses with a greater id. */
  afterId?: number
  limit: number
}

/** Blacklisted beats paused beats the activation state (docs/admin-api.md, License states). */
const stateOf = (t: string): string => `CASE WHEN ${t}.blacklisted_at IS NOT NULL THEN 'blacklisted'
  WHEN ${t}.paused_at IS NOT NULL THEN 'paused'
  WHEN ${t}.activated_at IS NOT NULL THEN CASE WHEN ${t}.expires_at > now() THEN 'active' ELSE 'expired' END
  ELSE 'available' END`

const licenseColumns = (t: string): string => `${t}.id, ${t}.key, ${t}.levels, ${t}.comment, ${t}.duration_seconds,
  ${stateOf(t)} AS state, ${t}.activated_at, ${t}.expires_at, ${t}.paused_at, ${t}.blacklisted_at,
  ${t}.blacklist_comment, ${t}.client_id, ${t}.ip_address, ${t}.account_id, ${t}.created_at, ${t}.updated_at`

const L = licenseColumns('l')

export interface NewLicense {
  key: string
  durationSeconds: number
  levels?: Record<string, unknown>
  comment?: string | null
}

export class LicensesRepository {
  constructor (private readonly pool: Pool) {}

  async current (licenseId: number): Promise<LicenseState | undefined> {
    const { rows } = await query<LicenseState>(this.pool,
      `SELECT levels, comment, ip_address,
              extract(epoch FROM expires_at)::float8 AS expires_at,
              extract(epoch FROM paused_at)::float8 AS paused_at,
              extract(epoch FROM clock_timestamp())::float8 AS now,
              blacklisted_at IS NOT NULL AS blacklisted,
              activated_at IS NOT NULL AS activated
         FROM licenses WHERE id = $1`, [licenseId])
    return rows[0]
  }

  /** All or nothing: a key already in the app fails the whole statement (unique_violation). */
  async insert (appId: number, licenses: NewLicense[]): Promise<LicenseRow[]> {
    const { rows } = await query<LicenseRow>(this.pool,
      `WITH l AS (
         INSERT INTO licenses (app_id, key, duration_seconds, levels, comment)
         SELECT $1, n.key, n.duration_seconds, coalesce(n.levels, '{}'::jsonb), n.comment
           FROM jsonb_to_recordset($2::jsonb) AS n(key text, duration_seconds bigint, levels jsonb, comment text)
         RETURNING *
       )
       SELECT ${L} FROM l ORDER BY l.id`,
      [appId, JSON.stringify(licenses.map(l => ({
        key: l.key, duration_seconds: l.durationSeconds, levels: l.levels ?? {}, comment: l.comment ?? null
      })))])
    return rows
  }

  /** Which of these keys the app has already. */
  async existingKeys (appId: number, keys: string[]): Promise<string[]> {
    const { rows } = await query<{ key: string }>(this.pool,
      'SELECT key FROM licenses WHERE app_id = $1 AND key = ANY($2::text[])', [appId, keys])
    return rows.map(r => r.key)
  }

  /** In id order, so a page boundary stays put while licenses are added. */
  async list (appId: number, page: LicensePage): Promise<LicenseRow[]> {
    const { rows } = await query<LicenseRow>(this.pool,
      `SELECT ${L} FROM licenses l
        WHERE l.app_id = $1 AND l.id > $2 AND ($3::text IS NULL OR ${stateOf('l')} = $3)
          AND ($5::text IS NULL OR starts_with(l.key, $5))
        ORDER BY l.id LIMIT $4`,
      [appId, page.afterId ?? 0, page.state ?? null, page.limit, page.prefix ?? null])
    return rows
  }

  async get (appId: number, key: string): Promise<LicenseRow | undefined> {
    const { rows } = await query<LicenseRow>(this.pool,
      `SELECT ${L} FROM licenses l WHERE l.app_id = $1 AND l.key = $2`, [appId, key])
    return rows[0]
  }

  /** `levels` replaces the whole object; `comment` undefined keeps it, null clears it. */
  async update (appId: number, key: string, patch: { levels?: Record<string, unknown>, comment?: string | null }): Promise<LicenseRow | undefined> {
    const { rows } = await query<LicenseRow>(this.pool,
      `UPDATE licenses l SET levels = coalesce($3::jsonb, l.levels),
              comment = CASE WHEN $4 THEN $5 ELSE l.comment END, updated_at = now()
        WHERE l.app_id = $1 AND l.key = $2
       RETURNING ${L}`,
      [appId, key, patch.levels === undefined ? null : JSON.stringify(patch.levels), patch.comment !== undefined, patch.comment ?? null])
    return rows[0]
  }

  /** Returns the deleted license's id and account, for the live events. */
  async delete (appId: number, key: string): Promise<{ id: number, account_id: number | null } | undefined> {
    const { rows } = await query<{ id: number, account_id: number | null }>(this.pool, 
      'DELETE FROM licenses WHERE app_id = $1 AND key = $2 RETURNING id, account_id', [appId, key])
    return rows[0]
  }

  async pause (appId: number, key: string): Promise<LicenseChange | undefined> {
    return this.change(appId, key, `paused_at = coalesce(o.paused_at, now()),
      updated_at = CASE WHEN o.paused_at IS NULL THEN now() ELSE o.updated_at END`, 'o.paused_at IS NULL')
  }

  /** The span spent paused is given back: the remaining time was frozen meanwhile. */
  async unpause (appId: number, key: string): Promise<LicenseChange | undefined> {
    return this.change(appId, key, `expires_at = o.expires_at + (now() - coalesce(o.paused_at, now())),
      paused_at = NULL,
      updated_at = CASE WHEN o.paused_at IS NOT NULL THEN now() ELSE o.updated_at END`, 'o.paused_at IS NOT NULL')
  }

  async blacklist (appId: number, key: string, comment: string | null): Promise<LicenseChange | undefined> {
    return this.change(appId, key, `blacklisted_at = coalesce(o.blacklisted_at, now()),
      blacklist_comment = $3, updated_at = now()`, 'o.blacklisted_at IS NULL', [comment])
  }

  async unblacklist (appId: number, key: string): Promise<LicenseChange | undefined> {
    return this.change(appId, key, `blacklisted_at = NULL, blacklist_comment = NULL,
      updated_at = CASE WHEN o.blacklisted_at IS NOT NULL THEN now() ELSE o.updated_at END`, 'o.blacklisted_at IS NOT NULL')
  }

  async resetClient (appId: number, key: string): Promise<LicenseChange | undefined> {
    const changed = 'o.client_id IS NOT NULL OR o.ip_address IS NOT NULL'
    return this.change(appId, key, `client_id = NULL, ip_address = NULL,
      updated_at = CASE WHEN ${changed} THEN now() ELSE o.updated_at END`, changed)
  }

  /** Back to never activated; the blacklist state stays. */
  async reinitialize (appId: number, key: string): Promise<LicenseChange | undefined> {
    const changed = `o.activated_at IS NOT NULL OR o.expires_at IS NOT NULL OR o.paused_at IS NOT NULL
      OR o.client_id IS NOT NULL OR o.ip_address IS NOT NULL`
    return this.change(appId, key, `activated_at = NULL, expires_at = NULL, paused_at = NULL,
      client_id = NULL, ip_address = NULL,
      updated_at = CASE WHEN ${changed} THEN now() ELSE o.updated_at END`, changed)
  }

  /**
   * Activated: the expiry moves by `seconds` from the later of itself and now (from
   * paused_at while paused, where the clock stands still). Not activated yet: the
   * duration it will get grows instead.
   */
  /**
   * Adds `seconds`, with the time left capped at `maxSeconds` (from now, or from the
   * pause): repeated extensions must not carry a license past what Postgres can store.
   * A cap is never a cut: time the license already had stays.
   */
  async extend (appId: number, key: string, seconds: number, maxSeconds: number): Promise<LicenseChange | undefined> {
    return this.change(appId, key, `
      expires_at = CASE WHEN o.activated_at IS NULL THEN o.expires_at
                        ELSE greatest(o.expires_at, least(
                          greatest(o.expires_at, coalesce(o.paused_at, now())) + make_interval(secs => $3::float8),
                          coalesce(o.paused_at, now()) + make_interval(secs => $4::float8))) END,
      duration_seconds = CASE WHEN o.activated_at IS NULL
                              THEN greatest(o.duration_seconds, least(o.duration_seconds + $3::bigint, $4::bigint))
                              ELSE o.duration_seconds END,
      updated_at = now()`, 'true', [seconds, maxSeconds])
  }

  /**
   * One UPDATE joined to the locked old row, so the new license and what it was
   * before (for `changed`) come back together. `set` and `changed` read the old row as `o`.
   */
  private async change (appId: number, key: string, set: string, changed: string, params: unknown[] = []): Promise<LicenseChange | undefined> {
    const { rows } = await query<LicenseRow & { changed: boolean }>(this.pool,
      `UPDATE licenses l SET ${set}
         FROM (SELECT * FROM licenses WHERE app_id = $1 AND key = $2 FOR UPDATE) o
        WHERE l.id = o.id
       RETURNING ${L}, (${changed}) AS changed`,
      [appId, key, ...params])
    const row = rows[0]
    if (row === undefined) return undefined
    const { changed: didChange, ...license } = row
    return { license, changed: didChange }
  }
}
