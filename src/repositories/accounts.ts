import type { Pool } from 'pg'
import { query } from '../db/query.js'

/** An account as the protocol reports it (the account payload); times are Unix seconds. */
export interface AccountView {
  login: string
  comment: string | null
  ip_address: string | null
  requires_license: boolean
  /** The covering license that expires last: its levels and expiry; null when none covers. */
  levels: Record<string, unknown> | null
  expires_at: number | null
  now: number
  /** That license's key (the `license` claim of a signed lease); null when none covers. */
  license_key: string | null
}

/** The account as it is now, for packet 16 and the coverage checks. */
export interface AccountState extends AccountView {
  blacklisted: boolean
}

export interface NewAccount {
  appId: number
  login: string
  credentialsType: number
  /** null: only check whether the creation would succeed; nothing changes. */
  passwordHash: string | null
  comment: string | null
  /** null: the app's accounts_require_license. */
  requiresLicense: boolean | null
  licenses: string[]
  /** The client's IP for the per-IP limit and "requires a license"; null for an administrator. */
  clientIp: string | null
  ipLimit: number
  ipWindowMs: number
}

export interface CreateResult {
  status: number
  account_id: number | null
  /** Whole seconds, with status 5. */
  retry_after: number | null
  /** With a license status: the 1-based index in `licenses` of the one that failed. */
  failed_key: number | null
}

export interface LinkResult {
  status: number
  /** The account's coverage after the call (Unix seconds), null when none covers. */
  expires_at: number | null
  now: number
}

/** An account as the management API shows it; never its password hash. */
export interface AccountRow {
  id: number
  login: string
  credentials_type: number
  comment: string | null
  requires_license: boolean
  blacklisted_at: Date | null
  blacklist_comment: string | null
  ip_address: string | null
  last_login_at: Date | null
  licenses: string[]
  /** Whole seconds of coverage left, null when none covers. */
  time_left: number | null
  created_at: Date
  updated_at: Date
}

export interface AccountChange {
  account: AccountRow
  changed: boolean
}

export interface AccountPage {
  /** Logins starting with this, compared case-insensitively. */
  prefix?: string
  /** Keyset pagination: only accounts with a greater id. */
  afterId?: number
  limit: number
}

export interface AccountPatch {
  comment?: string | null
  requires_license?: boolean
  passwordHash?: string
}

const accountColumns = (t: string): string => `${t}.id, ${t}.login, ${t}.credentials_type, ${t}.comment,
  ${t}.requires_license, ${t}.blacklisted_at, ${t}.blacklist_comment, ${t}.ip_address, ${t}.last_login_at,
  array(SELECT l.key FROM licenses l WHERE l.account_id = ${t}.id ORDER BY l.id) AS licenses,
  (SELECT floor(extract(epoch FROM c.expires_at - clock_timestamp()))::bigint
     FROM lw_account_coverage(${t}.id, clock_timestamp()) c) AS time_left,
  ${t}.created_at, ${t}.updated_at`

const A = accountColumns('a')

/** What a LIKE pattern needs escaped to match its text literally. */
const likePrefix = (text: string): string => `${text.replace(/[\\%_]/g, c => `\\${c}`)}%`

export class AccountsRepository {
  constructor (private readonly pool: Pool) {}

  async create (n: NewAccount): Promise<CreateResult> {
    const { rows } = await query<CreateResult>(this.pool, 
      'SELECT * FROM lw_create_account($1, $2, $3, $4, $5, $6, $7, $8, $9, $10)',
      [n.appId, n.login, n.credentialsType, n.passwordHash, n.comment, n.requiresLicense, n.licenses,
        n.clientIp, n.ipLimit, n.ipWindowMs])
    const row = rows[0]!
    return { ...row, account_id: row.account_id === null ? null : Number(row.account_id) }
  }

  /** The account a login names in an app, compared case-insensitively, with its hash. */
  async credentials (appId: number, login: string): Promise<{ id: number, password_hash: string } | undefined> {
    const { rows } = await query<{ id: number, password_hash: string }>(this.pool, 
      'SELECT id, password_hash FROM accounts WHERE app_id = $1 AND lower(login) = lower($2)', [appId, login])
    const row = rows[0]
    return row === undefined ? undefined : { id: Number(row.id), password_hash: row.password_hash }
  }

  async current (accountId: number): Promise<AccountState | undefined> {
    const { rows } = await query<AccountState>(this.pool, 
      `SELECT a.login, a.comment, a.ip_address, a.requires_license, c.levels,
              extract(epoch FROM c.expires_at)::float8 AS expires_at, c.key AS license_key,
              extract(epoch FROM t.now)::float8 AS now,
              a.blacklisted_at IS NOT NULL AS blacklisted
         FROM (SELECT clock_timestamp() AS now) t
         JOIN accounts a ON a.id = $1
         LEFT JOIN LATERAL lw_account_coverage(a.id, t.now) c ON true`, [accountId])
    return rows[0]
  }

  /** Links a license (packet 4 and the management API): statuses 1, 100, 105, 106, 107; 200 when the account is gone. */
  async link (appId: number, accountId: number, key: string): Promise<LinkResult> {
    const { rows } = await query<LinkResult>(this.pool, 
      'SELECT * FROM lw_link_license($1, $2, $3)', [appId, accountId, key])
    return rows[0]!
  }

  /** Returns the unlinked license's id; undefined when the account holds no such license. */
  async unlink (appId: number, accountId: number, key: string): Promise<number | undefined> {
    const { rows } = await query<{ id: number }>(this.pool, 
      `UPDATE licenses SET account_id = NULL, updated_at = now()
        WHERE app_id = $1 AND key = $2 AND account_id = $3 RETURNING id`, [appId, key, accountId])
    return rows[0] === undefined ? undefined : Number(rows[0].id)
  }

  /** In id order, so a page boundary stays put while accounts are added. */
  async list (appId: number, page: AccountPage): Promise<AccountRow[]> {
    const { rows } = await query<AccountRow>(this.pool, 
      `SELECT ${A} FROM accounts a
        WHERE a.app_id = $1 AND a.id > $2 AND ($3::text IS NULL OR lower(a.login) LIKE lower($3))
        ORDER BY a.id LIMIT $4`,
      [appId, page.afterId ?? 0, page.prefix === undefined ? null : likePrefix(page.prefix), page.limit])
    return rows
  }

  async get (appId: number, accountId: number): Promise<AccountRow | undefined> {
    const { rows } = await query<AccountRow>(this.pool, 
      `SELECT ${A} FROM accounts a WHERE a.app_id = $1 AND a.id = $2`, [appId, accountId])
    return rows[0]
  }

  /** Fields left undefined keep their value; `comment` null clears it. */
  async update (appId: number, accountId: number, patch: AccountPatch): Promise<AccountChange | undefined> {
    return this.change(appId, accountId, `comment = CASE WHEN $3 THEN $4 ELSE o.comment END,
      requires_license = coalesce($5, o.requires_license),
      password_hash = coalesce($6, o.password_hash),
      updated_at = now()`, 'o.requires_license IS DISTINCT FROM coalesce($5, o.requires_license)',
    [patch.comment !== undefined, patch.comment ?? null, patch.requires_license ?? null, patch.passwordHash ?? null])
  }

  /** Its licenses are unlinked, not deleted (ON DELETE SET NULL). */
  async delete (appId: number, accountId: number): Promise<boolean> {
    const { rowCount } = await query(this.pool, 'DELETE FROM accounts WHERE app_id = $1 AND id = $2', [appId, accountId])
    return rowCount === 1
  }

  async blacklist (appId: number, accountId: number, comment: string | null): Promise<AccountChange | undefined> {
    return this.change(appId, accountId, `blacklisted_at = coalesce(o.blacklisted_at, now()),
      blacklist_comment = $3, updated_at = now()`, 'o.blacklisted_at IS NULL', [comment])
  }

  async unblacklist (appId: number, accountId: number): Promise<AccountChange | undefined> {
    return this.change(appId, accountId, `blacklisted_at = NULL, blacklist_comment = NULL,
      updated_at = CASE WHEN o.blacklisted_at IS NOT NULL THEN now() ELSE o.updated_at END`, 'o.blacklisted_at IS NOT NULL')
  }

  /** One UPDATE joined to the locked old row (`o`), so the new account and whether it changed come back together. */
  private async change (appId: number, accountId: number, set: string, changed: string, params: unknown[] = []): Promise<AccountChange | undefined> {
    const { rows } = await query<AccountRow & { changed: boolean }>(this.pool, 
      `UPDATE accounts a SET ${set}
         FROM (SELECT * FROM accounts WHERE app_id = $1 AND id = $2 FOR UPDATE) o
        WHERE a.id = o.id
       RETURNING ${A}, (${changed}) AS changed`,
      [appId, accountId, ...params])
    const row = rows[0]
    if (row === undefined) return undefined
    const { changed: didChange, ...account } = row
    return { account, changed: didChange }
  }
}
