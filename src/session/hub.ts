import { randomUUID } from 'node:crypto'
import type { WebSocket } from 'ws'
import { Passwords } from '../accounts/passwords.js'
import type { EventBus } from '../events.js'
import type { LeaseKeys } from '../leases/keys.js'
import { Leases } from '../leases/lease.js'
import { Close, initDeadline, type CloseSpec } from '../protocol/close-codes.js'
import type { PacketContext, PacketDefinition } from '../protocol/packet.js'
import { BufferWatch } from './buffer-watch.js'
import { Connection, type ConnectionSettings } from './connection.js'
import { CoverageCheck } from './coverage.js'
import { Dispatcher, stepFailed, type PacketRecorder } from './dispatch.js'
import { ExpiryWatcher } from './expiry-watcher.js'
import { Heartbeat } from './heartbeat.js'
import { InitDeadlines } from './init-deadline.js'
import { InstanceLease } from './instance-lease.js'
import { LicenseCache } from './license-cache.js'
import { LiveEvents } from './live-events.js'
import { Releases } from './releases.js'
import { hashOf, Resumption } from './resumption.js'
import { SessionState } from './state.js'
import type { SuspendInput } from '../repositories/sessions.js'

export interface HubMetrics {
  opened: () => void
  closed: (code: number) => void
  packet: PacketRecorder
  /** A client broke the WebSocket protocol (ws' error code, e.g. WS_ERR_UNSUPPORTED_MESSAGE_LENGTH). */
  protocolError: (code: string) => void
}

/** What the hub is built from; the rest of the packet context it makes itself. */
export type HubDeps = Pick<PacketContext, 'repos' | 'options' | 'instanceId' | 'log' | 'fileUrls'> & {
  bus: Pick<EventBus, 'publish'>
  /** The lease signing keys; a rotation heard on the bus reloads them. */
  leaseKeys: LeaseKeys
  now?: () => number
}

const DRAIN_BATCH = 500
const DRAIN_SETTLE_MS = 5000
const sleep = (ms: number): Promise<void> => new Promise(resolve => setTimeout(resolve, ms).unref())
/** The socket's connection, on the socket itself: the listeners below are shared by every socket. */
const CONNECTION = Symbol('licensewire.connection')
type WiredSocket = WebSocket & { [CONNECTION]: Connection }
const connectionOf = (socket: WebSocket): Connection => (socket as WiredSocket)[CONNECTION]

/**
 * The live sessions of this instance: wires each upgraded socket to the dispatcher
 * and the close path, and runs the instance-wide parts (lease, heartbeat, Initialize
 * deadlines, live events, expiry watcher) and the graceful drain.
 */
export class Hub {
  readonly connections = new Set<Connection>()
  draining = false
  readonly ctx: PacketContext
  readonly liveEvents: LiveEvents
  readonly resumption: Resumption
  private readonly dispatcher: Dispatcher
  private readonly releases: Releases
  private readonly lease: InstanceLease
  private readonly heartbeat: Heartbeat
  private readonly deadlines: InitDeadlines
  private readonly expiry: ExpiryWatcher
  private readonly buffers: BufferWatch
  /** One object shared by every connection. */
  private readonly settings: ConnectionSettings
  private readonly listeners: {
    message: (this: WebSocket, data: Buffer, isBinary: boolean) => void
    ping: (this: WebSocket) => void
    pong: (this: WebSocket) => void
    error: (err: Error) => void
    close: (this: WebSocket, code: number) => void
  }

  constructor (
    deps: HubDeps,
    packets: PacketDefinition[],
    private readonly metrics: HubMetrics,
    /** True when the WebSocket server enforces maxPayload itself (closing 1009). */
    payloadLimitedByWs: boolean
  ) {
    const { repos, options, instanceId, log } = deps
    const now = deps.now ?? Date.now
    const licenseCache = new LicenseCache(id => repos.licenses.current(id))
    this.releases = new Releases(repos.sessions, licenseCache, log, instanceId, options.resumeWindowMs, options.sessionLeaseMs)
    this.ctx = {
      repos,
      options,
      instanceId,
      log,
      now,
      publish: event => deps.bus.publish(event),
      withReleasesSettled: call => this.releases.withReleasesSettled(call),
      releaseAuthorization: session => this.releases.dropAuthorization(session),
      licenseCache,
      passwords: new Passwords(options.passwordHashConcurrency, options.passwordHashQueue),
      fileUrls: deps.fileUrls,
      leases: new Leases(deps.leaseKeys, options.leaseIssuer, options.leaseTtlS)
    }
    const coverage = new CoverageCheck(repos.accounts, this.releases)
    this.dispatcher = new Dispatcher(this.ctx, packets, metrics.packet, payloadLimitedByWs)
    this.liveEvents = new LiveEvents(this.connections, repos.sessions, this.releases, coverage, licenseCache, deps.leaseKeys, log, instanceId)
    this.lease = new InstanceLease(repos.instances, instanceId, options.sessionLeaseMs, log,
      () => { void this.closeAll(Close.Internal) },
      () => this.releases.endStray(instanceId, this.heldIds()))
    this.heartbeat = new Heartbeat(this.connections, options.heartbeatMs)
    this.deadlines = new InitDeadlines(options.initTimeoutMs, connection => {
      connection.enqueue(() => {
        if (!connection.state.initialized && !connection.closing) connection.close(initDeadline(options.initTimeoutMs))
      }, err => stepFailed(log, connection, err))
    }, now)
    this.buffers = new BufferWatch(options.maxBufferedBytes, now)
    this.settings = {
      capacity: options.rateLimitPackets,
      windowMs: options.rateLimitWindowMs,
      keepAnswers: options.resumeWindowMs > 0
    }
    this.expiry = new ExpiryWatcher(this.connections, repos.licenses, coverage, this.releases, log, now)
    this.resumption = new Resumption(repos.sessions, this.releases, this.liveEvents, instanceId, options.resumeWindowMs, log, this.ctx.publish)

    const { dispatcher } = this
    const closed = (connection: Connection, code: number): void => this.closed(connection, code)
    this.listeners = {
      message (data, isBinary) { dispatcher.frame(connectionOf(this), data, isBinary) },
      ping () { dispatcher.ping(connectionOf(this)) },
      pong () { connectionOf(this).alive = true },
      // ws has already closed the socket with the fitting code (1002, 1007, 1009): the
      // client's fault, so not an error of ours to log loudly.
      error (err) {
        metrics.protocolError((err as { code?: string }).code ?? 'unknown')
        log.debug({ err }, 'client websocket error')
      },
      close (code) { closed(connectionOf(this), code) }
    }
  }

  /** Ids of every session row this instance holds: its sockets', and those between two sockets. */
  private heldIds (): string[] {
    return [...[...this.connections].map(c => c.id), ...this.releases.pendingIds(), ...this.resumption.takingOver]
  }

  get instanceId (): string {
    return this.ctx.instanceId
  }

  /** Registers this instance and starts the instance-wide timers. */
  async start (): Promise<void> {
    await this.lease.start()
    this.heartbeat.start()
    this.expiry.start()
  }

  /**
   * Wires one upgraded socket. Listeners are attached before anything awaits.
   * `resume`: the socket's own Resume-Id token (null when resumption is off), and the
   * token it came with to take a suspended session over, if any.
   */
  connect (socket: WebSocket, ip: string, origin = '', resume: { token: string | null, claim?: string } = { token: null }): Connection {
    const { now } = this.ctx
    const resumeHash = resume.token === null ? null : hashOf(resume.token)
    const connection = new Connection(socket, new SessionState(randomUUID(), ip, origin, resumeHash),
      this.settings, this.buffers, now(), resume.token)
    const wired = socket as WiredSocket
    wired[CONNECTION] = connection
    this.connections.add(connection)
    this.resumption.opened(connection)
    this.metrics.opened()
    const l = this.listeners
    socket.on('message', l.message)
    socket.on('ping', l.ping)
    socket.on('pong', l.pong)
    socket.on('error', l.error)
    socket.on('close', l.close)
    if (this.draining) {
      connection.close(Close.GoingAway)
    } else {
      this.deadlines.add(connection)
      const { claim } = resume
      if (claim !== undefined) {
        connection.resuming = true
        connection.enqueue(async () => {
          try {
            await this.resumption.claim(connection, claim)
          } finally {
            connection.resuming = false
          }
        }, err => stepFailed(this.ctx.log, connection, err))
      }
    }
    return connection
  }

  private closed (connection: Connection, code: number): void {
    const closedByServer = connection.closing
    connection.closedByServer = closedByServer
    connection.closing = true
    this.connections.delete(connection)
    this.metrics.closed(code)
    // The drain suspended it already, before its 1001, or a new socket took it over.
    if (connection.fate !== 'open') return
    const suspend = this.resumption.mayResume(code, closedByServer) && !this.lease.isRetired
      ? () => this.resumption.snapshot(connection)
      : undefined
    // After any packet still in flight, so an authorize that lands is released too.
    this.releases.end(connection, !this.lease.isRetired, suspend)
  }

  /**
   * Closes every session, each after the packet it is on; resolves when all are closed.
   * `handOver`: suspend each batch's sessions in one statement before its close goes
   * out, so a client can resume on another instance as soon as it hears the close.
   */
  private async closeAll (spec: CloseSpec, handOver = false): Promise<void> {
    // A session a new socket is taking over right now is that socket's to close.
    const connections = [...this.connections].filter(c => c.fate === 'open')
    for (let i = 0; i < connections.length; i += DRAIN_BATCH) {
      const batch = connections.slice(i, i + DRAIN_BATCH)
      const suspended: SuspendInput[] = []
      const handed: Connection[] = []
      await Promise.all(batch.map(connection => {
        connection.closing = true
        return connection.enqueue(() => {
          const snapshot = handOver ? this.resumption.snapshot(connection) : null
          if (snapshot === null) return
          suspended.push(snapshot)
          handed.push(connection)
        }, err => stepFailed(this.ctx.log, connection, err))
      }))
      if (suspended.length > 0) {
        try {
          await this.releases.suspendNow(suspended)
          for (const connection of handed) {
            connection.fate = 'suspended'
            this.resumption.forget(connection)
          }
        } catch (err) {
          this.ctx.log.error({ err, sessions: suspended.length }, 'could not suspend drained sessions; they end instead')
        }
      }
      for (const connection of batch) connection.close(spec)
      await new Promise(resolve => setImmediate(resolve))
    }
  }

  /**
   * Graceful drain: take no more frames, let every session finish the packet it is
   * on, close with 1001 in batches, then give up this instance's sessions at once.
   * With resumption on, each batch is suspended first: its clients resume elsewhere.
   */
  async drain (): Promise<void> {
    if (this.draining) return
    this.draining = true
    // Sockets that dropped just before: their suspensions are written before this
    // instance gives up its rows (for as long as the database takes, within reason).
    if (this.resumption.enabled) await Promise.race([this.releases.settled(), sleep(DRAIN_SETTLE_MS)])
    this.stop()
    await this.closeAll(Close.GoingAway, this.resumption.enabled)
    await this.lease.retire()
    this.releases.stop()
  }

  /** Stops timers without touching the database (the pool may already be gone). */
  stop (): void {
    this.releases.stop()
    this.lease.stop()
    this.heartbeat.stop()
    this.expiry.stop()
    this.deadlines.stop()
    this.buffers.stop()
  }
}
