import type { Pool } from 'pg'
import { query } from '../db/query.js'

export interface InitializeResult {
  /** 0 = the IP is cooling down; -1 = only the cool-down was asked about and there is none. */
  status: number
  app_id: number | null
  app_name: string | null
  app_version: string | null
  cooldown_seconds: number | null
}

/** A license as the protocol reports it; times are Unix seconds (fractional). */
export interface LicenseView {
  status: number
  levels: Record<string, unknown> | null
  comment: string | null
  ip_address: string | null
  expires_at: number | null
  paused_at: number | null
  now: number
  activated_now: boolean
  license_id: number | null
}

export interface InitializeInput {
  sessionId: string
  instanceId: string
  /** null: the caller has its answer already and only needs the cool-down check. */
  apiKey: string | null
  clientId: string
  ip: string
}

export interface AuthorizeInput {
  sessionId: string
  appId: number
  key: string
  clientId: string
  ip: string
}

/** Live sessions and the app session quota; every change of a slot is one atomic call. */
export class SessionsRepository {
  constructor (private readonly pool: Pool) {}

  async initialize (i: InitializeInput): Promise<InitializeResult> {
    const { rows } = await query<InitializeResult>(this.pool,
      'SELECT * FROM lw_initialize($1, $2, $3, $4, $5)',
      [i.sessionId, i.instanceId, i.apiKey, i.clientId, i.ip])
    return rows[0]!
  }

  async authorizeLicense (i: AuthorizeInput): Promise<LicenseView> {
    const { rows } = await query<LicenseView>(this.pool,
      'SELECT * FROM lw_authorize_license($1, $2, $3, $4, $5)',
      [i.sessionId, i.appId, i.key, i.clientId, i.ip])
    return rows[0]!
  }

  /** Drops the session's authorization and its quota slot; false when it held none. */
  async releaseAuthorization (sessionId: string): Promise<boolean> {
    const { rows } = await query<{ released: boolean }>(this.pool,
      'SELECT lw_release_authorization($1) AS released', [sessionId])
    return rows[0]!.released
  }

  /** Removes the session row and frees its slot if it held one. */
  async end (sessionId: string): Promise<void> {
    await query(this.pool, 'SELECT lw_end_session($1)', [sessionId])
  }

  /** Initialized sessions of the app on every live instance. */
  async onlineCount (appId: number): Promise<number> {
    const { rows } = await query<{ n: number }>(this.pool,
      'SELECT count(*)::integer AS n FROM sessions WHERE app_id = $1', [appId])
    return rows[0]!.n
  }

  /** What the database says about these live sessions, to catch events missed while not listening. */
  async states (sessions: LiveSession[]): Promise<SessionState[]> {
    const { rows } = await query<SessionState>(this.pool,
      `SELECT x.id,
              a.id IS NULL AS app_gone,
              coalesce(a.paused, false) AS app_paused,
              EXISTS (SELECT 1 FROM client_blacklist b WHERE b.app_id = x.app_id AND b.client_id = x.client_id) AS client_blacklisted,
              x.license_id IS NOT NULL AND l.id IS NULL AS license_gone,
              coalesce(l.blacklisted_at IS NOT NULL, false) AS license_blacklisted,
              coalesce(l.paused_at IS NOT NULL, false) AS license_paused,
              coalesce(l.activated_at IS NULL, false) AS license_reset
         FROM jsonb_to_recordset($1::jsonb) AS x (id text, app_id bigint, client_id text, license_id bigint)
         LEFT JOIN apps a ON a.id = x.app_id
         LEFT JOIN licenses l ON l.id = x.license_id`,
      [JSON.stringify(sessions)])
    return rows
  }
}

/** What the database says about one live session, for reconciling after missed events. */
export interface SessionState {
  id: string
  app_gone: boolean
  app_paused: boolean
  client_blacklisted: boolean
  license_gone: boolean
  license_blacklisted: boolean
  license_paused: boolean
  license_reset: boolean
}

export interface LiveSession {
  id: string
  app_id: number
  client_id: string
  license_id: number | null
}

