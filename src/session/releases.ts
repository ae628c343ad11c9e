import type { FastifyBaseLogger } from 'fastify'
import { Status } from '../protocol/statuses.js'
import type { SessionsRepository, SuspendInput } from '../repositories/sessions.js'
import type { Connection } from './connection.js'
import type { LicenseCache } from './license-cache.js'
import type { SessionState } from './state.js'

/** Session rows ended per statement. */
const BATCH = 1000
const RETRY_MIN_MS = 100
const RETRY_MAX_MS = 5000

/**
 * Giving quota slots back: an authorization dropped (logout, admin action, expiry),
 * or a whole session ended (its socket closed). Ended sessions are deleted in
 * batches, and a batch that fails is tried again until it succeeds, so no closed
 * socket leaves a slot taken behind it. A quota-taking call that meets a 602 while
 * ends are pending waits for them and tries once more.
 *
 * A dropped session that may resume (docs/protocol.md §9) is suspended instead: its row
 * keeps the slot, and its state is written the same way, batched and retried.
 */
export class Releases {
  /** Steps of closed sockets still waiting for the packet they were on. */
  private readonly closing = new Set<Promise<void>>()
  /** Ids of ended sessions whose rows are still to delete. */
  private readonly ending = new Set<string>()
  /** Dropped sessions still to suspend, by id. */
  private readonly suspending = new Map<string, { record: SuspendInput, connection: Connection }>()
  /** Ids of the suspensions being written right now. */
  private readonly writing = new Set<string>()
  /** Hears every connection whose fate is settled here: ending, or its suspension written. */
  onParked: (connection: Connection) => void = () => {}
  private flusher: Promise<void> | null = null
  private stopped = false
  private readonly waiters: { ids: string[], resolve: () => void }[] = []

  constructor (
    private readonly sessions: SessionsRepository,
    private readonly licenseCache: LicenseCache,
    private readonly log: FastifyBaseLogger,
    private readonly instanceId: string,
    /** How long a suspended session may be resumed; 0 = resumption is off. */
    private readonly resumeWindowMs: number,
    sessionLeaseMs: number
  ) {
    // Slots are promised back within SESSION_LEASE_MS of the database recovering.
    this.retryMaxMs = Math.min(RETRY_MAX_MS, Math.max(RETRY_MIN_MS, Math.floor(sessionLeaseMs / 4)))
  }

  private readonly retryMaxMs: number

  /** Drops the session's authorization and its slot. */
  async dropAuthorization (session: SessionState): Promise<void> {
    if (session.authorization === null) return
    await this.sessions.releaseAuthorization(session.id)
    this.forget(session.deauthorize())
  }

  /**
   * Ends a closed session after the packet it is on, so an authorize that lands is
   * released too. `inDatabase` false: the row is gone already (this instance retired).
   * `suspend`, asked after that packet: the session as it is to be suspended, or
   * null when it is not resumable and ends.
   */
  end (connection: Connection, inDatabase: boolean, suspend?: () => SuspendInput | null): void {
    const step = connection.enqueue(() => {
      // A new socket of this instance took the session over meanwhile.
      if (connection.fate !== 'open') return
      const session = connection.state
      const suspended = session.initialized && inDatabase ? suspend?.() ?? null : null
      if (suspended !== null) {
        connection.fate = 'suspending'
        this.suspending.set(session.id, { record: suspended, connection })
      } else {
        this.forget(session.deauthorize())
        connection.fate = 'ending'
        this.onParked(connection)
        if (session.initialized && inDatabase) this.ending.add(session.id)
      }
      this.flush()
    }, err => this.log.error({ err }, 'could not release a closed session'))
    this.closing.add(step)
    void step.finally(() => this.closing.delete(step))
  }

  /** Ends a session row with no socket to close (a resume that failed after its claim). */
  endSession (id: string): void {
    this.ending.add(id)
    this.flush()
  }

  /**
   * Deletes pending rows and writes pending suspensions, a batch per statement each
   * turn, until none is left; one flusher at a time.
   */
  private flush (): void {
    if (this.flusher !== null || this.stopped) return
    this.flusher = (async () => {
      let retryMs = RETRY_MIN_MS
      while ((this.ending.size > 0 || this.suspending.size > 0) && !this.stopped) {
        try {
          if (this.ending.size > 0) {
            const batch = [...this.ending].slice(0, BATCH)
            await this.sessions.endMany(batch)
            for (const id of batch) this.ending.delete(id)
          }
          if (this.suspending.size > 0) await this.suspendPending([...this.suspending.values()].slice(0, BATCH))
        } catch (err) {
          this.log.warn({ err, pending: this.ending.size + this.suspending.size }, 'releasing closed sessions failed; trying again')
          await new Promise(resolve => setTimeout(resolve, retryMs).unref())
          retryMs = Math.min(retryMs * 2, this.retryMaxMs)
          continue
        }
        retryMs = RETRY_MIN_MS
        this.wake()
      }
    })().finally(() => { this.flusher = null })
  }

  /**
   * Writes a batch of suspensions. A batch the database refuses for its data (not for
   * being unreachable) is written one by one, and a session whose state cannot be
   * stored ends instead: one bad record never holds the others back.
   */
  private async suspendPending (batch: { record: SuspendInput, connection: Connection }[]): Promise<void> {
    for (const { record } of batch) this.writing.add(record.id)
    try {
      await this.suspendNow(batch.map(s => s.record))
    } catch (err) {
      if (!isDataError(err)) throw err
      if (batch.length > 1) {
        for (const one of batch) await this.suspendPending([one])
        return
      }
      const { record, connection } = batch[0]!
      this.log.error({ err }, 'could not suspend a session; it ends instead')
      this.suspending.delete(record.id)
      this.forget(connection.state.deauthorize())
      connection.fate = 'ending'
      this.onParked(connection)
      this.ending.add(record.id)
      return
    } finally {
      for (const { record } of batch) this.writing.delete(record.id)
    }
    for (const { record, connection } of batch) {
      this.suspending.delete(record.id)
      connection.fate = 'suspended'
      this.onParked(connection)
    }
  }

  /** Suspends these sessions now, in one statement (the drain writes them before its 1001). */
  async suspendNow (sessions: SuspendInput[]): Promise<void> {
    if (sessions.length === 0) return
    await this.sessions.suspendMany(this.instanceId, sessions, this.resumeWindowMs)
  }

  /** Ids of sessions whose suspension is not written yet: their rows are still this instance's. */
  pendingIds (): string[] {
    return [...this.suspending.keys()]
  }

  /**
   * An admin disconnected a session that has no socket here any more: a suspension not
   * yet written is dropped (or, being written, followed by an end), and the row ends.
   * False when this instance has nothing pending for it.
   */
  disconnect (id: string): boolean {
    const pending = this.suspending.get(id)
    if (pending === undefined) return false
    if (!this.writing.has(id)) {
      this.suspending.delete(id)
      pending.connection.fate = 'ending'
      this.onParked(pending.connection)
    }
    this.forget(pending.connection.state.deauthorize())
    this.ending.add(id)
    this.flush()
    return true
  }

  /** Whether a suspension of this instance is still unwritten: a claim may have come too early. */
  get suspendsPending (): boolean {
    return this.suspending.size > 0 || this.closing.size > 0
  }

  /**
   * Takes back a suspension not yet written, for a socket of this instance that
   * resumes the session; null when there is none, or when it is being written now
   * (the claim then goes through the database).
   */
  cancelSuspension (id: string): SuspendInput | null {
    const pending = this.suspending.get(id)
    if (pending === undefined || this.writing.has(id)) return null
    this.suspending.delete(id)
    this.wake()
    return pending.record
  }

  private wake (): void {
    for (let i = this.waiters.length - 1; i >= 0; i--) {
      const waiter = this.waiters[i]!
      if (waiter.ids.every(id => !this.ending.has(id) && !this.suspending.has(id))) {
        this.waiters.splice(i, 1)
        waiter.resolve()
      }
    }
  }

  /** Resolves once every end and suspension pending now is done in the database. */
  async settled (): Promise<void> {
    await Promise.all(this.closing)
    const ids = [...this.ending, ...this.suspending.keys()]
    if (ids.length === 0) return
    await new Promise<void>(resolve => this.waiters.push({ ids, resolve }))
  }

  async withReleasesSettled<T extends { status: number }> (call: () => Promise<T>): Promise<T> {
    const result = await call()
    if (result.status !== Status.AppSessionsQuotaExceeded || (this.closing.size === 0 && this.ending.size === 0)) return result
    await this.settled()
    return call()
  }

  /**
   * Ends this instance's rows that no live socket holds: a release that was lost (say,
   * the process was busy past every retry) cannot keep a slot for long.
   */
  async endStray (instanceId: string, live: string[]): Promise<void> {
    const n = await this.sessions.endStray(instanceId, live, STRAY_MIN_AGE_MS)
    if (n > 0) this.log.warn({ sessions: n }, 'ended session rows no socket of this instance held')
  }

  /** This instance retired (its rows are gone) or is stopping: nothing more to delete. */
  stop (): void {
    this.stopped = true
    this.ending.clear()
    this.suspending.clear()
    this.wake()
  }

  private forget (authorization: SessionState['authorization']): void {
    if (authorization?.kind === 'license') this.licenseCache.forget(authorization.licenseId)
  }
}

/** Postgres refused the values (class 22, data exception: say, text JSON cannot hold), not the connection. */
function isDataError (err: unknown): boolean {
  const code = (err as { code?: unknown }).code
  return typeof code === 'string' && code.startsWith('22')
}

/** A row younger than this may belong to a socket opened after the live list was taken. */
const STRAY_MIN_AGE_MS = 10_000
