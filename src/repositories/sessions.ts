import type { Pool } from 'pg'
import type { AccountView } from './accounts.js'
import { query } from '../db/query.js'
import type { SessionStateJson } from '../session/state.js'

export interface InitializeResult {
  /** 0 = the IP is cooling down; -1 = only the cool-down was asked about and there is none. */
  status: number
  app_id: number | null
  app_name: string | null
  app_version: string | null
  cooldown_seconds: number | null
  signed_leases: boolean | null
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
  /** SHA-256 (hex) of the socket's Resume-Id token; null with resumption off. */
  resumeHash: string | null
}

export interface AuthorizeInput {
  sessionId: string
  appId: number
  key: string
  clientId: string
  ip: string
}

export interface BlacklistInput {
  sessionId: string
  appId: number
  clientId: string
  comment: string | null
}

export interface AccountAuthorizeInput {
  sessionId: string
  appId: number
  accountId: number
  /** A license to link on the way, or null. */
  key: string | null
  ip: string
}

/** A dropped session as it is suspended (docs/protocol.md §9). */
export interface SuspendInput {
  id: string
  /** SHA-256 of its Resume-Id token, hex. */
  hash: string
  state: SuspendedState
  /** Its last answers, oldest first, one frame a line (Connection.lastAnswers). */
  answers: string
}

/** What a suspended session keeps besides its answers: its state and its rate bucket. */
export interface SuspendedState {
  session: SessionStateJson
  bucket?: { tokens: number, refilledAt: number }
  /**
   * Always empty here. Before migration 013 the answers were kept in the state as
   * [id, frame] pairs; an instance of that version, during a rolling deploy, reads
   * this and resumes (without replays) instead of failing.
   */
  answers?: [number, string][]
}

/**
 * status 1: resumed, with its state and what the database says now about what it relies
 * on; 0: unknown token or window ended; 2: may not resume (ended now); 3: live on the
 * instance `owner`, which has not noticed the drop yet.
 */
export type ResumeResult =
  | { status: 1, state: SuspendedState, answers: string, found: SessionState, owner: null }
  | { status: 0 | 2, state: null, answers: null, found: null, owner: null }
  | { status: 3, state: null, answers: null, found: null, owner: string, session_id: string }

/** The answer of an account authorization: the account as stored afterwards, absent with 200. */
export type AccountAuthorizeResult = { status: number, now: number } & ({ login: null } | AccountView)

/** Live sessions and the app session quota; every change of a slot is one atomic call. */
export class SessionsRepository {
  constructor (private readonly pool: Pool) {}

  async initialize (i: InitializeInput): Promise<InitializeResult> {
    const { rows } = await query<InitializeResult>(this.pool,
      'SELECT * FROM lw_initialize($1, $2, $3, $4, $5, decode($6, \'hex\'))',
      [i.sessionId, i.instanceId, i.apiKey, i.clientId, i.ip, i.resumeHash])
    return rows[0]!
  }

  async authorizeLicense (i: AuthorizeInput): Promise<LicenseView> {
    const { rows } = await query<LicenseView>(this.pool,
      'SELECT * FROM lw_authorize_license($1, $2, $3, $4, $5)',
      [i.sessionId, i.appId, i.key, i.clientId, i.ip])
    return rows[0]!
  }

  /** After the password matched: checks, optional link, quota slot and authorization in one call. */
  async authorizeAccount (i: AccountAuthorizeInput): Promise<AccountAuthorizeResult> {
    const { rows } = await query<AccountAuthorizeResult>(this.pool, 
      'SELECT * FROM lw_authorize_account($1, $2, $3, $4, $5)',
      [i.sessionId, i.appId, i.accountId, i.key, i.ip])
    return rows[0]!
  }

  /** Drops the session's authorization and its quota slot; false when it held none. */
  async releaseAuthorization (sessionId: string): Promise<boolean> {
    const { rows } = await query<{ released: boolean }>(this.pool,
      'SELECT lw_release_authorization($1) AS released', [sessionId])
    return rows[0]!.released
  }

  /** Removes these session rows and frees the slots of those that held one; returns how many were there. */
  async endMany (sessionIds: string[]): Promise<number> {
    const { rows } = await query<{ n: number }>(this.pool, 'SELECT lw_end_sessions($1::uuid[]) AS n', [sessionIds])
    return rows[0]!.n
  }

  /**
   * Suspends dropped sessions of this instance, keeping their slots for `windowMs`;
   * returns how many were still there to suspend.
   */
  async suspendMany (instanceId: string, sessions: SuspendInput[], windowMs: number): Promise<number> {
    // The answers travel as plain text, the i-th session's between the i-th pair of
    // record separators: inside the JSON, every quote of every frame would be escaped
    // here and unescaped by Postgres, for text that is only stored and read back.
    const states = sessions.map(({ id, hash, state }) => ({ id, hash, state }))
    const { rows } = await query<{ n: number }>(this.pool,
      'SELECT lw_suspend_sessions($1, $2::jsonb, $3, $4) AS n',
      [instanceId, JSON.stringify(states), windowMs, sessions.map(s => s.answers).join(RECORD_SEPARATOR)])
    return rows[0]!.n
  }

  /**
   * Claims the suspended session of this token hash for this instance, which takes on
   * `newHash` (hex, the claiming socket's own); single use.
   */
  async resume (hash: string, instanceId: string, newHash: string): Promise<ResumeResult> {
    const { rows } = await query<ResumeResult>(this.pool,
      "SELECT * FROM lw_resume_session(decode($1, 'hex'), $2, decode($3, 'hex'))", [hash, instanceId, newHash])
    const result = rows[0]!
    if (result.status === 1) result.answers = storedAnswers(result.state, result.answers)
    return result
  }

  /** A session taken over by another socket of this instance: its new token hash, and what changed meanwhile. */
  async rehash (session: LiveSession, newHash: string): Promise<SessionState | undefined> {
    const { rows } = await query<{ found: SessionState }>(this.pool,
      "SELECT lw_session_rehash($1::jsonb, decode($2, 'hex')) AS found", [JSON.stringify(session), newHash])
    return rows[0]?.found
  }

  /** Ends the instance's rows older than `minAgeMs` that are not among `live`; returns how many. */
  async endStray (instanceId: string, live: string[], minAgeMs: number): Promise<number> {
    const { rows } = await query<{ n: number }>(this.pool, 
      'SELECT lw_end_stray_sessions($1, $2::uuid[], $3) AS n', [instanceId, live, minAgeMs])
    return rows[0]!.n
  }

  /**
   * Packet 6 in one transaction: the client_id on the blacklist, the session's license
   * blacklisted, its slot given back. Answers 1, or 604 when the app's blacklist is full.
   */
  async blacklist (i: BlacklistInput): Promise<number> {
    const { rows } = await query<{ status: number }>(this.pool, 
      'SELECT lw_blacklist_session($1, $2, $3, $4) AS status', [i.sessionId, i.appId, i.clientId, i.comment])
    return rows[0]!.status
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
      'SELECT * FROM lw_session_states($1::jsonb)', [JSON.stringify(sessions)])
    return rows
  }
}

/** Between the answers of two sessions: JSON text never holds it raw. */
const RECORD_SEPARATOR = '\x1e'

/**
 * A suspension's answers as text. An instance of the version before migration 013
 * keeps them inside the state, as [id, frame] pairs, and may leave older text in the
 * column: answers in the state win. This version writes none there.
 */
function storedAnswers (state: SuspendedState, answers: string | null | undefined): string {
  const legacy = state.answers
  if (Array.isArray(legacy) && legacy.length > 0) return legacy.map(([, frame]) => frame).join('\n')
  return answers ?? ''
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
  account_gone: boolean
  account_blacklisted: boolean
  /** The account requires a license and none covers it now. */
  account_uncovered: boolean
  /** null when the app is gone. */
  signed_leases: boolean | null
  /** The session's own row is gone (ended meanwhile). */
  session_gone: boolean
  /** The app's version now; null when the app is gone. */
  app_version: string | null
}

export interface LiveSession {
  id: string
  app_id: number
  client_id: string
  license_id: number | null
  account_id: number | null
}

