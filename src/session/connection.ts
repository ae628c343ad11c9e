import type { WebSocket } from 'ws'
import type { CloseSpec } from '../protocol/close-codes.js'
import { encodeEvent, encodeReply, type Reply } from '../protocol/reply.js'
import type { BufferWatch } from './buffer-watch.js'
import type { SessionState } from './state.js'

const DONE = Promise.resolve()

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
  /** When the upgrade was accepted (ms); the Initialize deadline counts from it. */
  readonly openedAt: number
  // The rate bucket (docs/protocol.md §4), kept inline: one object less per session.
  private tokens: number
  private refilledAt: number
  /** The last queued step while any is pending; null when idle. */
  private tail: Promise<void> | null = null

  constructor (
    readonly socket: WebSocket,
    readonly state: SessionState,
    private readonly bucket: { capacity: number, windowMs: number },
    private readonly buffers: BufferWatch,
    now: number
  ) {
    this.openedAt = now
    this.tokens = bucket.capacity
    this.refilledAt = now
  }

  get id (): string {
    return this.state.id
  }

  /** Takes one token from the bucket; false when it is empty. */
  takeToken (now = Date.now()): boolean {
    const { capacity, windowMs } = this.bucket
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
    this.send(encodeReply(id, answer))
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
