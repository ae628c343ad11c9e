import { randomUUID } from 'node:crypto'
import type { WebSocket } from 'ws'
import { Close, initDeadline } from '../protocol/close-codes.js'
import type { PacketContext, PacketDefinition } from '../protocol/packet.js'
import { Status } from '../protocol/statuses.js'
import { LicenseEvent, type BusListener, type LiveEvent } from '../events.js'
import { Dispatcher, stepFailed, type PacketRecorder } from './dispatch.js'
import { LicenseCache } from './license-cache.js'
import { effectsOf, PanelEvent } from './panel-events.js'
import { Session } from './session.js'

export interface HubMetrics {
  opened: () => void
  closed: (code: number) => void
  packet: PacketRecorder
}

const DRAIN_BATCH = 500
/** How often held licenses are checked for expiry (event 2 within 2 s of it). */
const EXPIRY_CHECK_MS = 1000

/**
 * The sessions of this instance: their sockets (frames go to the dispatcher), the
 * init deadline, dead-peer detection, the instance lease, live admin events and
 * licenses running out, and the graceful drain.
 */
export class Hub {
  readonly sessions = new Set<Session>()
  draining = false
  private readonly dispatcher: Dispatcher
  private heartbeatTimer: NodeJS.Timeout | undefined
  private leaseTimer: NodeJS.Timeout | undefined
  private expiryTimer: NodeJS.Timeout | undefined
  private retired = false
  /** Releases of closed sessions not yet done in the database. */
  private readonly releasing = new Set<Promise<void>>()
  private readonly ctx: PacketContext

  constructor (
    deps: Omit<PacketContext, 'withReleasesSettled' | 'releaseAuthorization' | 'licenseCache'>,
    packets: PacketDefinition[],
    private readonly metrics: HubMetrics,
    /** True when the WebSocket server enforces maxPayload itself (closing 1009). */
    payloadLimitedByWs: boolean
  ) {
    this.ctx = {
      ...deps,
      withReleasesSettled: call => this.withReleasesSettled(call),
      releaseAuthorization: session => this.dropAuthorization(session),
      licenseCache: new LicenseCache(id => deps.repos.licenses.current(id))
    }
    this.dispatcher = new Dispatcher(this.ctx, packets, metrics.packet, payloadLimitedByWs)
  }

  private async withReleasesSettled<T extends { status: number }> (call: () => Promise<T>): Promise<T> {
    const result = await call()
    if (result.status !== Status.AppSessionsQuotaExceeded || this.releasing.size === 0) return result
    await Promise.all(this.releasing)
    return call()
  }

  get instanceId (): string {
    return this.ctx.instanceId
  }

  /** Registers this instance and starts the heartbeat and lease timers. */
  async start (): Promise<void> {
    const { repos, instanceId, options } = this.ctx
    await repos.instances.register(instanceId, this.leaseTtlMs())
    await repos.instances.sweep()
    this.heartbeatTimer = setInterval(() => this.heartbeat(), options.heartbeatMs).unref()
    this.leaseTimer = setInterval(() => { void this.renewLease() }, this.leaseIntervalMs()).unref()
    this.expiryTimer = setInterval(() => this.checkExpiries(), EXPIRY_CHECK_MS).unref()
  }

  /** Applies an admin change to this instance's sessions (docs/protocol.md §7 event table). */
  apply (event: LiveEvent, among: Iterable<Session> = this.sessions): void {
    for (const effect of effectsOf(event, among)) {
      const { session } = effect
      if (event.type === 'app_version_changed') session.appVersion = event.version
      // A close is decided now (no more frames), but waits for the packet in flight.
      if (effect.close !== undefined) session.closing = true
      session.enqueue(async () => {
        if (effect.dropAuthorization === true) await this.dropAuthorization(session)
        if (effect.event !== undefined) session.push(effect.event.type, effect.event.content)
        if (effect.close !== undefined) session.close(effect.close)
      }, err => stepFailed(this.ctx, session, err))
    }
  }

  private async dropAuthorization (session: Session): Promise<void> {
    const auth = session.authorization
    if (auth === null) return
    await this.ctx.repos.sessions.releaseAuthorization(session.id)
    session.authorization = null
    this.ctx.licenseCache.forget(auth.licenseId)
  }

  /** How this instance reacts to what the event bus hears. */
  busListener (): BusListener {
    const cache = this.ctx.licenseCache
    return {
      event: event => this.apply(event),
      licenseChanged: licenseId => cache.changed(licenseId),
      up: () => {
        cache.up()
        // Whatever was missed while not hearing is read back from the database.
        this.reconcile().catch(err => this.ctx.log.error({ err }, 'reconciling live sessions failed'))
      },
      down: () => cache.down()
    }
  }

  /**
   * After a gap in event delivery: compare every live session with the database
   * and apply what was missed, as the events themselves would have.
   */
  async reconcile (): Promise<void> {
    const live = [...this.sessions].filter(s => s.initialized)
    if (live.length === 0) return
    const states = await this.ctx.repos.sessions.states(live.map(s => ({
      id: s.id, app_id: s.appId!, client_id: s.clientId!, license_id: s.authorization?.licenseId ?? null
    })))
    const byId = new Map(live.map(s => [s.id, s]))
    for (const state of states) {
      const session = byId.get(state.id)
      if (session === undefined) continue
      const appId = session.appId!
      const licenseId = session.authorization?.licenseId
      const missed: LiveEvent[] = []
      if (state.app_gone) missed.push({ type: 'app_deleted', appId })
      else if (state.app_paused) missed.push({ type: 'app_paused', appId })
      else if (state.client_blacklisted) missed.push({ type: 'client_blacklisted', appId, clientId: session.clientId! })
      else if (licenseId !== undefined) {
        const event = state.license_gone
          ? LicenseEvent.Deleted
          : state.license_blacklisted
            ? LicenseEvent.Blacklisted
            : state.license_paused ? LicenseEvent.Paused : state.license_reset ? LicenseEvent.Reinitialized : undefined
        if (event !== undefined) missed.push({ type: 'license_changed', appId, licenseId, event })
      }
      // Applied to this one session only: others decide from their own state.
      for (const event of missed) this.apply(event, [session])
    }
  }

  /** Held licenses whose known expiry has passed: re-read, and drop them if really expired. */
  private checkExpiries (): void {
    const now = Date.now() / 1000
    for (const session of this.sessions) {
      const auth = session.authorization
      if (auth === null || auth.expiresAt === null || auth.expiresAt > now || session.closing) continue
      const due = auth.expiresAt
      auth.expiresAt = null // one check at a time
      session.enqueue(async () => {
        if (session.authorization !== auth) return
        try {
          const license = await this.ctx.repos.licenses.current(auth.licenseId)
          if (license !== undefined && license.expires_at !== null && license.expires_at > license.now) {
            auth.expiresAt = license.expires_at // extended meanwhile
            return
          }
          await this.dropAuthorization(session)
          session.push(PanelEvent.SubscriptionExpired, {})
        } catch (err) {
          auth.expiresAt = due // try again on the next tick
          this.ctx.log.error({ err }, 'license expiry check failed')
        }
      }, err => stepFailed(this.ctx, session, err))
    }
  }

  /**
   * The lease is renewed every third of SESSION_LEASE_MS and set to last two thirds
   * of it, and every instance sweeps at the same pace: a dead instance's sessions are
   * gone within SESSION_LEASE_MS of its last renewal, with a third of it as margin
   * for a slow renewal.
   */
  private leaseIntervalMs (): number {
    return Math.max(100, Math.floor(this.ctx.options.sessionLeaseMs / 3))
  }

  private leaseTtlMs (): number {
    return this.ctx.options.sessionLeaseMs - this.leaseIntervalMs()
  }

  /** Wires one upgraded socket. Listeners are attached before anything awaits. */
  connect (socket: WebSocket, ip: string): Session {
    const { options } = this.ctx
    const session = new Session(randomUUID(), socket, ip, options.rateLimitPackets, options.rateLimitWindowMs)
    this.sessions.add(session)
    this.metrics.opened()
    socket.on('message', (data, isBinary) => this.dispatcher.frame(session, data, isBinary))
    socket.on('ping', () => this.dispatcher.ping(session))
    socket.on('pong', () => { session.alive = true })
    socket.on('error', err => this.ctx.log.debug({ err }, 'websocket error'))
    socket.on('close', code => this.onClose(session, code))
    session.initTimer = setTimeout(() => {
      session.enqueue(() => {
        if (!session.initialized && !session.closing) session.close(initDeadline(options.initTimeoutMs))
      }, err => stepFailed(this.ctx, session, err))
    }, options.initTimeoutMs)
    if (this.draining) session.close(Close.GoingAway)
    return session
  }

  private onClose (session: Session, code: number): void {
    session.closing = true
    clearTimeout(session.initTimer)
    this.sessions.delete(session)
    this.metrics.closed(code)
    // After any packet still in flight, so an authorize that lands is released too.
    const release = session.enqueue(async () => {
      if (session.initialized && !this.retired) await this.ctx.repos.sessions.end(session.id)
      if (session.authorization !== null) this.ctx.licenseCache.forget(session.authorization.licenseId)
      session.authorization = null
    }, err => this.ctx.log.error({ err }, 'could not release a closed session'))
    this.releasing.add(release)
    void release.finally(() => this.releasing.delete(release))
  }

  private heartbeat (): void {
    for (const session of this.sessions) {
      if (!session.alive) {
        session.socket.terminate()
        continue
      }
      session.alive = false
      session.socket.ping()
    }
  }

  private async renewLease (): Promise<void> {
    const { repos, instanceId, log } = this.ctx
    try {
      if (!(await repos.instances.renew(instanceId, this.leaseTtlMs())) && !this.retired) {
        // Our lease lapsed and a peer swept our sessions: they no longer hold slots,
        // so the sockets cannot stay as they are. Start clean under the same id.
        log.error('instance lease lost; closing its sessions')
        await repos.instances.register(instanceId, this.leaseTtlMs())
        for (const session of [...this.sessions]) {
          session.closing = true
          session.enqueue(() => session.close(Close.Internal), err => stepFailed(this.ctx, session, err))
        }
      }
      await repos.instances.sweep()
    } catch (err) {
      log.error({ err }, 'instance lease renewal failed')
    }
  }

  /**
   * Graceful drain: take no more frames, let every session finish the packet it is
   * on, close with 1001 in batches, then give up this instance's sessions at once.
   */
  async drain (): Promise<void> {
    if (this.draining) return
    this.draining = true
    clearInterval(this.heartbeatTimer)
    clearInterval(this.leaseTimer)
    clearInterval(this.expiryTimer)
    const sessions = [...this.sessions]
    for (let i = 0; i < sessions.length; i += DRAIN_BATCH) {
      await Promise.all(sessions.slice(i, i + DRAIN_BATCH).map(session => {
        session.closing = true
        return session.enqueue(() => session.close(Close.GoingAway), err => stepFailed(this.ctx, session, err))
      }))
      await new Promise(resolve => setImmediate(resolve))
    }
    this.retired = true
    try {
      await this.ctx.repos.instances.retire(this.ctx.instanceId)
    } catch (err) {
      this.ctx.log.error({ err }, 'could not release this instance\'s sessions; they expire with its lease')
    }
  }

  /** Stops timers without touching the database (the pool may already be gone). */
  stop (): void {
    clearInterval(this.heartbeatTimer)
    clearInterval(this.leaseTimer)
    clearInterval(this.expiryTimer)
    for (const session of this.sessions) clearTimeout(session.initTimer)
  }
}
