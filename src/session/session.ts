import type { WebSocket } from 'ws'
import type { CloseSpec } from '../protocol/close-codes.js'
import { SerializedReply, type Reply } from '../protocol/packet.js'
import { RateBucket } from './rate-bucket.js'

export interface Authorization {
  licenseId: number
  key: string
  /** Unix seconds as last read; the expiry watcher re-reads before acting on it. */
  expiresAt: number | null
}

const DONE = Promise.resolve()

/** The id of every server-pushed event frame, as an exact integer literal (docs/protocol.md §7). */
const EVENT_PREFIX = '{"id":18446744073709551615,"event_type":'

/**
 * Everything the server knows about one socket. Packets of a session run one at a
 * time through `enqueue`, so answers leave in the order frames arrived even when a
 * database call is slow.
 */
export class Session {
  appId: number | null = null
  appName = ''
  appVersion = ''
  clientId: string | null = null
  failedInitializes = 0
  /** Panel events (type 17); new sessions start unsubscribed. */
  subscribed = false
  authorization: Authorization | null = null
  /** Answered the last ping (dead-peer detection). */
  alive = true
  /** No more frames are taken once a close has been decided. */
  closing = false
  initTimer: NodeJS.Timeout | undefined
  readonly bucket: RateBucket
  /** The last queued step while any is pending; null when idle. */
  private tail: Promise<void> | null = null

  constructor (
    readonly id: string,
    readonly socket: WebSocket,
    readonly ip: string,
    rateLimitPackets: number,
    rateLimitWindowMs: number
  ) {
    this.bucket = new RateBucket(rateLimitPackets, rateLimitWindowMs)
  }

  get initialized (): boolean {
    return this.appId !== null
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

  /** A response: `{"id":…, …fields, "status":…}`, fields in the order the reply lists them. */
  reply (id: number, reply: Reply): void {
    if (this.socket.readyState !== 1) return
    // The reply carries everything but the id; splicing the id into its JSON text
    // spares building a second object per answer.
    const body = reply instanceof SerializedReply ? reply.body : JSON.stringify(reply).slice(1)
    this.socket.send(`{"id":${id},${body}`)
  }

  /** Sends a panel event, to subscribed sessions only. */
  push (eventType: number, content: object = {}): void {
    if (this.subscribed && this.socket.readyState === 1) {
      this.socket.send(`${EVENT_PREFIX}${eventType},"content":${JSON.stringify(content)}}`)
    }
  }

  close (spec: CloseSpec): void {
    this.closing = true
    clearTimeout(this.initTimer)
    if (this.socket.readyState <= 1) this.socket.close(spec.code, spec.reason)
  }
}
