import type { FastifyBaseLogger } from 'fastify'
import { AccountEvent, LicenseEvent, type AppEvent, type BusListener } from '../events.js'
import type { LeaseKeys } from '../leases/keys.js'
import type { LiveSession, SessionsRepository, SessionState as SessionStateRow } from '../repositories/sessions.js'
import type { Connection } from './connection.js'
import type { CoverageCheck } from './coverage.js'
import { stepFailed } from './dispatch.js'
import type { LicenseCache } from './license-cache.js'
import { effectOn, type Effect } from './panel-events.js'
import type { Releases } from './releases.js'
import type { SessionState } from './state.js'

/**
 * Admin changes reaching this instance's sessions (docs/protocol.md §7 event table): what the
 * event bus delivers, and, after a gap in delivery, what the database says was missed.
 */
export class LiveEvents {
  constructor (
    private readonly connections: Iterable<Connection>,
    private readonly sessions: SessionsRepository,
    private readonly releases: Releases,
    private readonly coverage: CoverageCheck,
    private readonly licenseCache: LicenseCache,
    private readonly leaseKeys: LeaseKeys,
    private readonly log: FastifyBaseLogger,
    private readonly instanceId: string
  ) {}

  /** Applies an event to the sessions it touches, each after the packet it is on. */
  apply (event: AppEvent, among: Iterable<Connection> = this.connections): void {
    for (const connection of among) {
      const effect = this.effect(event, connection)
      if (effect === undefined) continue
      connection.enqueue(() => this.carryOut(connection, effect), err => stepFailed(this.log, connection, err))
    }
  }

  /**
   * What the event does to this session; state changes that need no database happen
   * here. A close is decided now (no more frames), though it waits for the packet in flight.
   */
  private effect (event: AppEvent, connection: Connection): Effect | undefined {
    const session = connection.state
    const effect = effectOn(event, session)
    if (effect === undefined) return undefined
    if (event.type === 'app_version_changed') session.appVersionChanged(event.version)
    if (event.type === 'app_signed_leases_changed') {
      session.signedLeasesChanged(event.signedLeases)
      return undefined
    }
    if (effect.close !== undefined) connection.closing = true
    return effect
  }

  private async carryOut (connection: Connection, effect: Effect): Promise<void> {
    const session = connection.state
    if (effect.dropAuthorization === true) await this.releases.dropAuthorization(session)
    if (effect.checkCoverage === true) await this.coverage.check(connection)
    if (effect.event !== undefined) connection.push(effect.event.type, effect.event.content)
    if (effect.close !== undefined) connection.close(effect.close)
  }

  /** How this instance reacts to what the event bus hears. */
  busListener (): BusListener {
    const cache = this.licenseCache
    return {
      event: event => {
        if (event.type === 'signing_keys_changed') return this.reloadKeys()
        if (event.type === 'session_handover') return this.handOver(event.instanceId, event.sessionId)
        this.apply(event)
        // A session whose socket dropped a moment ago has no connection to close, but
        // may have a suspension still to write here: it ends instead.
        if (event.type === 'session_disconnected') this.releases.disconnect(event.sessionId)
      },
      licenseChanged: licenseId => cache.changed(licenseId),
      up: () => {
        cache.up()
        // Whatever was missed while not hearing is read back from the database.
        this.reconcile().catch(err => this.log.error({ err }, 'reconciling live sessions failed'))
        this.reloadKeys()
      },
      down: () => cache.down()
    }
  }

  /**
   * A client resumed elsewhere a session this instance still holds a socket for: the
   * socket is cut as a drop would be, so the session suspends and the claim can take it.
   */
  private handOver (instanceId: string, sessionId: string): void {
    if (instanceId !== this.instanceId) return
    for (const connection of this.connections) {
      if (connection.id !== sessionId) continue
      if (connection.fate === 'open' && !connection.closing) connection.socket.terminate()
      return
    }
  }

  /** A rotation made anywhere: sign with the new key from now on. */
  private reloadKeys (): void {
    this.leaseKeys.load().catch(err => this.log.error({ err }, 'reloading the lease signing keys failed'))
  }

  /**
   * After a gap in event delivery: compare every live session with the database
   * and apply what was missed, as the events themselves would have.
   */
  async reconcile (): Promise<void> {
    for (const [connection, missed] of await this.missed([...this.connections])) this.apply(missed, [connection])
  }

  /**
   * A resumed session, within its first step: what changed while it was suspended
   * (`found`, when the claim read it already) is applied before any of its packets
   * runs (docs/protocol.md §9).
   */
  async catchUp (connection: Connection, found: SessionStateRow): Promise<void> {
    for (const missed of this.missedBy(connection, found)) {
      const effect = this.effect(missed, connection)
      if (effect !== undefined) await this.carryOut(connection, effect)
    }
  }

  /** For each of these sessions that missed a change, the event that stands for it. */
  private async missed (connections: Connection[]): Promise<[Connection, AppEvent][]> {
    const live = connections.filter(c => c.state.initialized)
    if (live.length === 0) return []
    // The version each session had when the database was asked: one that changed
    // meanwhile heard of a newer version (or of this one) already.
    const versions = new Map(live.map(c => [c.id, c.state.app!.version]))
    const states = await this.sessions.states(live.map(({ state }) => liveSession(state)))
    const byId = new Map(live.map(c => [c.id, c]))
    const found: [Connection, AppEvent][] = []
    for (const row of states) {
      const connection = byId.get(row.id)
      if (connection === undefined) continue
      // Applied to this one session only: others decide from their own state.
      for (const missed of this.missedBy(connection, row, versions.get(row.id))) found.push([connection, missed])
    }
    return found
  }

  /**
   * The events this session missed, in the order they are to be applied. `askedWith`:
   * the app version the session had when `row` was read.
   */
  private missedBy (connection: Connection, row: SessionStateRow, askedWith = connection.state.app!.version): AppEvent[] {
    const { state } = connection
    if (row.signed_leases !== null && row.signed_leases !== (state.app!.signedLeases === true)) {
      state.signedLeasesChanged(row.signed_leases)
    }
    const missed: AppEvent[] = []
    // A new version is news even to a session that is about to lose its license.
    // (A row without the column comes from an instance of an older version, during a deploy.)
    if (typeof row.app_version === 'string' && row.app_version !== askedWith && askedWith === state.app!.version) {
      missed.push({ type: 'app_version_changed', appId: state.app!.id, version: row.app_version })
    }
    const event = missedEvent(row, state)
    if (event !== undefined) missed.push(event)
    return missed
  }
}

/** A session as the database is asked about it. */
export function liveSession (state: SessionState): LiveSession {
  return {
    id: state.id,
    app_id: state.app!.id,
    client_id: state.clientId!,
    license_id: state.authorization?.kind === 'license' ? state.authorization.licenseId : null,
    account_id: state.authorization?.kind === 'account' ? state.authorization.accountId : null
  }
}

/** The event a session missed, judging by what the database says of it now. */
function missedEvent (found: SessionStateRow, state: SessionState): AppEvent | undefined {
  const appId = state.app!.id
  const auth = state.authorization
  if (found.app_gone) return { type: 'app_deleted', appId }
  if (found.app_paused) return { type: 'app_paused', appId }
  if (found.client_blacklisted) return { type: 'client_blacklisted', appId, clientId: state.clientId! }
  if (auth?.kind === 'license') {
    const event = found.license_gone
      ? LicenseEvent.Deleted
      : found.license_blacklisted
        ? LicenseEvent.Blacklisted
        : found.license_paused ? LicenseEvent.Paused : found.license_reset ? LicenseEvent.Reinitialized : undefined
    return event === undefined ? undefined : { type: 'license_changed', appId, licenseId: auth.licenseId, event }
  }
  if (auth?.kind === 'account') {
    const { accountId } = auth
    if (found.account_gone) return { type: 'account_changed', appId, accountId, event: AccountEvent.Deleted }
    if (found.account_blacklisted) return { type: 'account_changed', appId, accountId, event: AccountEvent.Blacklisted }
    if (found.account_uncovered) return { type: 'coverage_changed', appId, accountId }
  }
  return undefined
}
