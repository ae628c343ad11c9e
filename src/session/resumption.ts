import { createHash, randomFillSync } from 'node:crypto'
import type { FastifyBaseLogger } from 'fastify'
import { Close } from '../protocol/close-codes.js'
import type { LiveEvent } from '../events.js'
import type { ResumeResult, SessionState as SessionStateRow, SessionsRepository, SuspendedState, SuspendInput } from '../repositories/sessions.js'
import type { Connection } from './connection.js'
import { liveSession, type LiveEvents } from './live-events.js'
import type { Releases } from './releases.js'
import { SessionState } from './state.js'

const TOKEN_BYTES = 18
/**
 * Random bytes for the next 256 tokens: every upgrade takes one, and one call for
 * many is far cheaper than one each (crypto.randomUUID pools the same way).
 */
const entropy = Buffer.alloc(TOKEN_BYTES * 256)
let entropyAt = entropy.length

/** A fresh Resume-Id token: 144 random bits, URL-safe (24 characters). */
export function newResumeToken (): string {
  if (entropyAt === entropy.length) {
    randomFillSync(entropy)
    entropyAt = 0
  }
  const token = entropy.toString('base64url', entropyAt, entropyAt + TOKEN_BYTES)
  entropyAt += TOKEN_BYTES
  return token
}

/** Tokens are stored and looked up only as this hash (SHA-256, hex). */
export function hashOf (token: string): string {
  return createHash('sha256').update(token).digest('hex')
}

/** How long a claim waits for another instance to let go of a session it still holds. */
const HANDOVER_WAIT_MS = 3000
const HANDOVER_POLL_MS = 50
const sleep = (ms: number): Promise<void> => new Promise(resolve => setTimeout(resolve, ms))

/** Anything else cannot be a token of ours, and needs no database trip to say so. */
const TOKEN_SHAPE = /^[A-Za-z0-9_-]{16,128}$/

/**
 * Close codes a client sends when it is done with the session (a normal close, or a
 * close frame without a code): its session ends at once instead of holding its
 * slot for the resume window. Any other end of the socket (no close frame at all,
 * 1001 from a browser leaving a page, a dead peer) suspends it.
 */
const CLIENT_DONE = new Set([1000, 1005])

/**
 * Session resumption (docs/protocol.md §9): a dropped session is suspended in Postgres
 * with its state and last answers, and a new socket on any instance claims it with the
 * Resume-Id token its previous socket was given.
 *
 * A client often comes back to the instance it left, before that instance has written
 * the suspension, or even noticed the drop: such a claim takes the session over in
 * memory, and the database only confirms what changed meanwhile.
 */
export class Resumption {
  /** This instance's sockets by Resume-Id token, until their session ends or is written suspended. */
  private readonly local = new Map<string, Connection>()
  /** Ids of sessions being taken over in memory: between two sockets, but still this instance's. */
  readonly takingOver = new Set<string>()

  constructor (
    private readonly sessions: SessionsRepository,
    private readonly releases: Releases,
    private readonly liveEvents: LiveEvents,
    private readonly instanceId: string,
    /** 0 = resumption is off. */
    readonly windowMs: number,
    private readonly log: FastifyBaseLogger,
    private readonly publish: (event: LiveEvent) => Promise<void>
  ) {
    releases.onParked = connection => this.forget(connection)
  }

  get enabled (): boolean {
    return this.windowMs > 0
  }

  opened (connection: Connection): void {
    if (connection.resumeToken !== null) this.local.set(connection.resumeToken, connection)
  }

  /** The connection's session ended, or is no longer this instance's to hand over from memory. */
  forget (connection: Connection): void {
    if (connection.resumeToken !== null) this.local.delete(connection.resumeToken)
  }

  /** Whether a socket that closed with `code` may leave its session to be resumed. */
  mayResume (code: number, closedByServer: boolean): boolean {
    return this.enabled && !closedByServer && !CLIENT_DONE.has(code)
  }

  /** The session as it is to be suspended; null when it cannot be resumed (never initialized). */
  snapshot (connection: Connection): SuspendInput | null {
    const { state } = connection
    if (state.resumeHash === null || !state.initialized) return null
    return {
      id: state.id,
      hash: state.resumeHash,
      state: { session: state.toJSON(), bucket: connection.bucket, answers: [] },
      answers: connection.lastAnswers()
    }
  }

  /**
   * The first step of a socket that came with a Resume-Id: takes the suspended
   * session over, or closes 4401 (no such session) or 4400 (it could not be restored).
   */
  async claim (connection: Connection, resumeId: string): Promise<void> {
    if (!this.enabled || !TOKEN_SHAPE.test(resumeId)) return connection.close(Close.ResumeNotFound)
    const previous = this.local.get(resumeId)
    if (previous !== undefined && previous !== connection) {
      const id = previous.state.id
      this.takingOver.add(id)
      try {
        const taken = await this.takeOver(previous)
        if (taken !== null) return await this.restore(connection, taken.state, taken.answers)
      } finally {
        this.takingOver.delete(id)
      }
    }
    const hash = hashOf(resumeId)
    const claim = (): Promise<ResumeResult> => this.sessions.resume(hash, this.instanceId, connection.state.resumeHash!)
    let result
    try {
      result = await claim()
      // The client may be back before this instance has written its suspension.
      if (result.status === 0 && this.releases.suspendsPending) {
        await this.releases.settled()
        result = await claim()
      }
      // Or back through another instance, which still holds its old socket.
      if (result.status === 3) {
        await this.publish({ type: 'session_handover', instanceId: result.owner, sessionId: result.session_id })
        const deadline = Date.now() + HANDOVER_WAIT_MS
        while (result.status === 3 && Date.now() < deadline) {
          await sleep(HANDOVER_POLL_MS)
          result = await claim()
        }
      }
    } catch (err) {
      this.log.error({ err }, 'could not resume a session')
      return connection.close(Close.ResumeFailed)
    }
    if (result.status !== 1) return connection.close(Close.ResumeNotFound)
    return this.restore(connection, result.state, result.answers, result.found)
  }

  /**
   * The session of a socket of this instance, taken over in memory: its suspension
   * not written yet, or the socket not even closed yet (the client noticed the drop
   * first). Null when it is not this instance's to give (already written: claim it
   * from the database; ended; taken).
   */
  private async takeOver (previous: Connection): Promise<SuspendInput | null> {
    if (previous.fate === 'suspending') {
      const record = this.releases.cancelSuspension(previous.state.id)
      if (record === null) return null
      previous.fate = 'taken'
      this.forget(previous)
      return record
    }
    // A close the server decided (the socket may still wait for the client's close frame) is final.
    if (previous.fate !== 'open' || previous.closedByServer || (previous.closing && previous.socket.readyState !== 3)) return null
    previous.fate = 'taken'
    previous.closing = true
    this.forget(previous)
    if (previous.socket.readyState <= 1) previous.socket.terminate()
    // After the packet it is on, so that answer is among those kept.
    return new Promise(resolve => {
      void previous.enqueue(() => resolve(this.snapshot(previous)), () => resolve(null))
    })
  }

  /**
   * Carries the session on in `connection`; `found`: what the claim read of its app,
   * license and account (read here when the session was taken over in memory).
   */
  private async restore (connection: Connection, { session, bucket }: SuspendedState, answers: string, found?: SessionStateRow): Promise<void> {
    try {
      // The client may come back from another address (a NAT rebinding, a new network).
      const { ip, origin, resumeHash } = connection.state
      connection.resume(SessionState.fromJSON({ ...session, ip, origin }, resumeHash), answers, bucket)
      // Taken over in memory: the row takes on the new token, and says what changed.
      found ??= await this.sessions.rehash(liveSession(connection.state), resumeHash!)
      // Ended meanwhile, gone with its app, or may not come back: the close ends what is left.
      if (found === undefined || found.session_gone || found.app_gone || found.app_paused || found.client_blacklisted) {
        return connection.close(Close.ResumeNotFound)
      }
      // Applied before any packet of the new socket runs: what changed while it was away.
      await this.liveEvents.catchUp(connection, found)
    } catch (err) {
      this.log.error({ err }, 'could not restore a resumed session')
      this.releases.endSession(session.id)
      connection.close(Close.ResumeFailed)
    }
  }
}
