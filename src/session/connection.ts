import type { WebSocket } from 'ws'
import type { CloseSpec } from '../protocol/close-codes.js'
import { encodeEvent, encodeReply, replyIdOf, type Reply } from '../protocol/reply.js'
import type { BufferWatch } from './buffer-watch.js'
import type { SessionState } from './state.js'

const DONE = Promise.resolve()
/** Answers kept for a resumed session to replay (docs/protocol.md §9). */
export const KEPT_ANSWERS = 64

/** Settings every connection of an instance shares: one object for all. */
export interface ConnectionSettings {
  /** The rate bucket (docs/protocol.md §4). */
  capacity: number
  windowMs: number
  /** Resumption is on: keep the last answers, so a resumed session can replay them. */
  keepAnswers: boolean
}

/**
 * One socket's transport: the ordered step queue, the rate bucket, and the flags the
 * heartbeat and the close path keep. What the session *is* lives in `state`.
 *
 * Packets of a session run one at a time through `enqueue`, so answers leave in the
 * order frames arrived even when a database call is slow.
 */
export class Connection {
  /** Answered the last ping (dead-peer detection). */
  alive = true
  /** No more frames are taken once a close has been decided. */
  closing = false
  /** The socket closed after the server had decided to close it (not a drop): not resumable. */
  closedByServer = false
  /** A Resume-Id claim is running: frames wait, uncharged until they run (see Dispatcher.frame). */
  resuming = false
  waitingFrames = 0
  /**
   * What became of the session once its socket closed (docs/protocol.md §9): 'open'
   * until then; 'ending' (ends, or ended); 'suspending' (its suspension is queued for
   * the database); 'suspended' (written: a new socket claims it from the database);
   * 'taken' (a new socket on this instance took it over directly).
   */
  fate: 'open' | 'ending' | 'suspending' | 'suspended' | 'taken' = 'open'
  /** When the upgrade was accepted (ms); the Initialize deadline counts from it. */
  readonly openedAt: number
  // The rate bucket (docs/protocol.md §4), kept inline: one object less per session.
  private tokens: number
  private refilledAt: number
  /** The last queued step while any is pending; null when idle. */
  private tail: Promise<void> | null = null
  /** The last answers as id, frame, id, frame, …: a ring once full (`answersAt` is its oldest). */
  private answers: (number | string)[] | null = null
  private answersAt = 0
  /** Answers of the suspended session this one resumed, each replayed once. */
  private replays: Map<number, string> | null = null

  constructor (
    readonly socket: WebSocket,
    private _state: SessionState,
    private readonly settings: ConnectionSettings,
    private readonly buffers: BufferWatch,
    now: number,
    /** This connection's Resume-Id token (null: resumption is off). Never logged. */
    readonly resumeToken: string | null = null
  ) {
    this.openedAt = now
    this.tokens = settings.capacity
    this.refilledAt = now
  }

  get state (): SessionState {
    return this._state
  }

  get id (): string {
    return this.state.id
  }

  /** The rate bucket's size. */
  get capacity (): number {
    return this.settings.capacity
  }

  /** The rate bucket as it stands, to carry over to a resumed session. */
  get bucket (): { tokens: number, refilledAt: number } {
    return { tokens: this.tokens, refilledAt: this.refilledAt }
  }

  /** Takes one token from the bucket; false when it is empty. */
  takeToken (now = Date.now()): boolean {
    const { capacity, windowMs } = this.settings
    this.tokens = Math.min(capacity, this.tokens + ((now - this.refilledAt) * capacity) / windowMs)
    this.refilledAt = now
    if (this.tokens < 1) return false
    this.tokens -= 1
    return true
  }

  /**
   * Runs `step` after every step queued before it; a failing step never stops the
   * queue. An idle session runs it at once, and a step that finishes synchronously
   * leaves the session idle. The promise settles when the step is done.
   */
  enqueue (step: () => void | Promise<void>, onError: (err: unknown) => void): Promise<void> {
    if (this.tail === null) {
      let result: void | Promise<void>
      try {
        result = step()
      } catch (err) {
        onError(err)
        return DONE
      }
      if (result === undefined) return DONE
      return this.follow(result.then(undefined, onError))
    }
    return this.follow(this.tail.then(step).then(undefined, onError))
  }

  private follow (tail: Promise<void>): Promise<void> {
    this.tail = tail
    void tail.then(() => { if (this.tail === tail) this.tail = null })
    return tail
  }

  reply (id: number, answer: Reply): void {
    const frame = encodeReply(id, answer)
    // Kept even when the socket is gone already: a resumed session replays it.
    if (this.settings.keepAnswers) this.keep(id, frame)
    this.send(frame)
  }

  private keep (id: number, frame: string): void {
    const answers = this.answers ??= []
    if (answers.length < KEPT_ANSWERS * 2) {
      answers.push(id, frame)
      return
    }
    answers[this.answersAt] = id
    answers[this.answersAt + 1] = frame
    this.answersAt = (this.answersAt + 2) % (KEPT_ANSWERS * 2)
  }

  /**
   * The last answers sent, oldest first, one frame a line: frames are JSON text, which
   * never holds a raw line feed, and each begins with its id (`{"id":N,`), so the
   * lines need no escaping to be stored or read back.
   */
  lastAnswers (): string {
    const answers = this.answers ?? []
    const frames: string[] = []
    for (let n = 0, i = this.answersAt; n < answers.length; n += 2, i = (i + 2) % answers.length) frames.push(answers[i + 1] as string)
    return frames.join('\n')
  }

  /**
   * Takes over a suspended session: its state, its answers to replay, and its rate
   * bucket (a drop and a resume must not refill it).
   */
  resume (state: SessionState, answers: string, bucket?: { tokens: number, refilledAt: number }): void {
    this._state = state
    if (bucket !== undefined) {
      this.tokens = bucket.tokens
      this.refilledAt = bucket.refilledAt
    }
    if (answers === '') return
    this.replays = new Map()
    for (const frame of answers.split('\n')) {
      const id = replyIdOf(frame)
      this.replays.set(id, frame)
      this.keep(id, frame)
    }
  }

  /**
   * Resends the stored answer when the resumed session already answered this id;
   * false when it did not, and the packet runs as usual. Each answer replays once.
   */
  replay (id: number): boolean {
    const frame = this.replays?.get(id)
    if (frame === undefined) return false
    this.replays!.delete(id)
    if (this.replays!.size === 0) this.replays = null
    this.send(frame)
    return true
  }

  /** Sends a panel event, to subscribed sessions only. */
  push (eventType: number, content: object = {}): void {
    if (this.state.subscribed) this.send(encodeEvent(eventType, content))
  }

  private send (frame: string): void {
    if (this.socket.readyState !== 1) return
    this.socket.send(frame)
    this.buffers.sent(this)
  }

  close (spec: CloseSpec): void {
    this.closing = true
    if (this.socket.readyState <= 1) this.socket.close(spec.code, spec.reason)
  }
}
