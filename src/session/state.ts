import { SessionValues, type ValueEntryJson, type ValueWrite } from './values.js'

/**
 * Each session's value store (packets 12–14), kept beside its state rather than in a
 * field of it: most sessions never store a value, and an idle session then costs not
 * a byte more. Only SessionState reads or writes it, and it travels in toJSON.
 */
const valueStores = new WeakMap<SessionState, SessionValues>()

/** The app a session initialized with. */
export interface AppInfo {
  id: number
  name: string
  version: string
  /** The app's signed_leases: Ok answers of 2, 3, 15 and 16 carry a lease (docs/protocol.md §8). */
  signedLeases?: boolean
}

export interface LicenseAuthorization {
  kind: 'license'
  licenseId: number
  key: string
  /** Unix seconds as last read; the expiry watcher re-reads before acting on it. */
  expiresAt: number | null
}

export interface AccountAuthorization {
  kind: 'account'
  accountId: number
  login: string
  /** When the account's coverage runs out as last read (Unix seconds), null when none covers. */
  expiresAt: number | null
}

/** A session holds at most one authorization, of one of two kinds. */
export type Authorization = LicenseAuthorization | AccountAuthorization

/** SessionState as JSON: what another instance needs to carry the session on. */
export interface SessionStateJson {
  id: string
  ip: string
  origin: string
  app: AppInfo | null
  clientId: string | null
  failedInitializes: number
  authorization: Authorization | null
  subscribed: boolean
  /** The session-value store (packets 12–14), expired entries included until swept. */
  values: ValueEntryJson[]
}

/**
 * What the server knows about one session, apart from its socket: plain data that
 * round-trips through JSON. Handlers read it and change it only through the named
 * methods below, so every change of state has one place.
 */
export class SessionState {
  private _app: AppInfo | null = null
  private _clientId: string | null = null
  private _failedInitializes = 0
  private _authorization: Authorization | null = null
  private _subscribed = false

  constructor (
    readonly id: string,
    readonly ip: string,
    /**
     * `protocol://host` of the upgrade request as the client addressed it (behind a
     * trusted proxy, as the proxy reports it): file download URLs are built on it.
     */
    readonly origin = '',
    /**
     * SHA-256 (hex) of the Resume-Id token of the socket now holding the session; null
     * with resumption off. Stored with the session's row; not part of its JSON.
     */
    readonly resumeHash: string | null = null
  ) {}

  get initialized (): boolean {
    return this._app !== null
  }

  get app (): AppInfo | null {
    return this._app
  }

  get clientId (): string | null {
    return this._clientId
  }

  get authorization (): Authorization | null {
    return this._authorization
  }

  /** Receives panel events (packet 17); new sessions start unsubscribed. */
  get subscribed (): boolean {
    return this._subscribed
  }

  /** Consecutive failed Initialize calls (the 4205 guard). */
  get failedInitializes (): number {
    return this._failedInitializes
  }

  initialize (app: AppInfo, clientId: string): void {
    this._app = app
    this._clientId = clientId
    this._failedInitializes = 0
  }

  /** Counts one failed Initialize; returns the count so far. */
  initializeFailed (): number {
    return ++this._failedInitializes
  }

  /** The app's version changed while the session was open (event 102). */
  appVersionChanged (version: string): void {
    if (this._app !== null) this._app = { ...this._app, version }
  }

  /** An admin turned the app's signed leases on or off while the session was open. */
  signedLeasesChanged (signedLeases: boolean): void {
    if (this._app !== null) this._app = { ...this._app, signedLeases }
  }

  authorize (authorization: Authorization): void {
    this._authorization = authorization
  }

  /** Drops the authorization; returns what it was. */
  deauthorize (): Authorization | null {
    const was = this._authorization
    this._authorization = null
    return was
  }

  /** A fresh read of when the authorization runs out (null: unknown, check again before relying on it). */
  authorizationExpires (expiresAt: number | null): void {
    if (this._authorization !== null) this._authorization = { ...this._authorization, expiresAt }
  }

  subscribe (subscribed: boolean): void {
    this._subscribed = subscribed
  }

  /** A live session value (packet 13); `now` and `expiresAt` in ms since the epoch. */
  value (key: string, now: number): string | undefined {
    return valueStores.get(this)?.get(key, now)
  }

  /** Stores a session value (packet 12); a refused write changes nothing. */
  setValue (key: string, value: string, expiresAt: number, now: number): ValueWrite {
    let values = valueStores.get(this)
    if (values === undefined) valueStores.set(this, values = new SessionValues())
    const result = values.set(key, value, expiresAt, now)
    this.dropEmptyValues(values)
    return result
  }

  /** Removes a session value (packet 14); true when a live one was there. */
  deleteValue (key: string, now: number): boolean {
    const values = valueStores.get(this)
    if (values === undefined) return false
    const deleted = values.delete(key, now)
    this.dropEmptyValues(values)
    return deleted
  }

  private dropEmptyValues (values: SessionValues): void {
    if (values.size === 0) valueStores.delete(this)
  }

  toJSON (): SessionStateJson {
    return {
      id: this.id,
      ip: this.ip,
      origin: this.origin,
      app: this._app,
      clientId: this._clientId,
      failedInitializes: this._failedInitializes,
      authorization: this._authorization,
      subscribed: this._subscribed,
      values: valueStores.get(this)?.toJSON() ?? []
    }
  }

  static fromJSON (json: SessionStateJson, resumeHash: string | null = null): SessionState {
    const state = new SessionState(json.id, json.ip, json.origin, resumeHash)
    state._app = json.app
    state._clientId = json.clientId
    state._failedInitializes = json.failedInitializes
    state._authorization = json.authorization
    state._subscribed = json.subscribed
    if (json.values.length > 0) valueStores.set(state, SessionValues.fromJSON(json.values))
    return state
  }
}

/** The session as a packet that needs an initialized session sees it. */
export type InitializedSession = SessionState & { readonly app: AppInfo, readonly clientId: string }
export type LicenseSession = InitializedSession & { readonly authorization: LicenseAuthorization }
export type AccountSession = InitializedSession & { readonly authorization: AccountAuthorization }
export type AuthorizedSession = InitializedSession & { readonly authorization: Authorization }
