import type { FastifyBaseLogger } from 'fastify'
import { AccountEvent, LicenseEvent, type AppEvent, type BusListener } from '../events.js'
import type { LeaseKeys } from '../leases/keys.js'
import type { SessionsRepository } from '../repositories/sessions.js'
import type { Connection } from './connection.js'
import type { CoverageCheck } from './coverage.js'
import { stepFailed } from './dispatch.js'
import type { LicenseCache } from './license-cache.js'
import { effectOn } from './panel-events.js'
import type { Releases } from './releases.js'

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
    private readonly log: FastifyBaseLogger
  ) {}

  /** Applies an event to the sessions it touches, each after the packet it is on. */
  apply (event: AppEvent, among: Iterable<Connection> = this.connections): void {
    for (const connection of among) {
      const session = connection.state
      const effect = effectOn(event, session)
      if (effect === undefined) continue
      if (event.type === 'app_version_changed') session.appVersionChanged(event.version)
      if (event.type === 'app_signed_leases_changed') {
        session.signedLeasesChanged(event.signedLeases)
        continue
      }
      // A close is decided now (no more frames), but waits for the packet in flight.
      if (effect.close !== undefined) connection.closing = true
      connection.enqueue(async () => {
        if (effect.dropAuthorization === true) await this.releases.dropAuthorization(session)
        if (effect.checkCoverage === true) await this.coverage.check(connection)
        if (effect.event !== undefined) connection.push(effect.event.type, effect.event.content)
        if (effect.close !== undefined) connection.close(effect.close)
      }, err => stepFailed(this.log, connection, err))
    }
  }

  /** How this instance reacts to what the event bus hears. */
  busListener (): BusListener {
    const cache = this.licenseCache
    return {
      event: event => {
        if (event.type === 'signing_keys_changed') this.reloadKeys()
        else this.apply(event)
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

  /** A rotation made anywhere: sign with the new key from now on. */
  private reloadKeys (): void {
    this.leaseKeys.load().catch(err => this.log.error({ err }, 'reloading the lease signing keys failed'))
  }

  /**
   * After a gap in event delivery: compare every live session with the database
   * and apply what was missed, as the events themselves would have.
   */
  async reconcile (): Promise<void> {
    const live = [...this.connections].filter(c => c.state.initialized)
    if (live.length === 0) return
    const states = await this.sessions.states(live.map(({ state }) => ({
      id: state.id,
      app_id: state.app!.id,
      client_id: state.clientId!,
      license_id: state.authorization?.kind === 'license' ? state.authorization.licenseId : null,
      account_id: state.authorization?.kind === 'account' ? state.authorization.accountId : null
    })))
    const byId = new Map(live.map(c => [c.id, c]))
    for (const found of states) {
      const connection = byId.get(found.id)
      if (connection === undefined) continue
      const { state } = connection
      const appId = state.app!.id
      const auth = state.authorization
      if (found.signed_leases !== null && found.signed_leases !== (state.app!.signedLeases === true)) {
        state.signedLeasesChanged(found.signed_leases)
      }
      let missed: AppEvent | undefined
      if (found.app_gone) missed = { type: 'app_deleted', appId }
      else if (found.app_paused) missed = { type: 'app_paused', appId }
      else if (found.client_blacklisted) missed = { type: 'client_blacklisted', appId, clientId: state.clientId! }
      else if (auth?.kind === 'license') {
        const event = found.license_gone
          ? LicenseEvent.Deleted
          : found.license_blacklisted
            ? LicenseEvent.Blacklisted
            : found.license_paused ? LicenseEvent.Paused : found.license_reset ? LicenseEvent.Reinitialized : undefined
        if (event !== undefined) missed = { type: 'license_changed', appId, licenseId: auth.licenseId, event }
      } else if (auth?.kind === 'account') {
        const { accountId } = auth
        if (found.account_gone) missed = { type: 'account_changed', appId, accountId, event: AccountEvent.Deleted }
        else if (found.account_blacklisted) missed = { type: 'account_changed', appId, accountId, event: AccountEvent.Blacklisted }
        else if (found.account_uncovered) missed = { type: 'coverage_changed', appId, accountId }
      }
      // Applied to this one session only: others decide from their own state.
      if (missed !== undefined) this.apply(missed, [connection])
    }
  }
}
