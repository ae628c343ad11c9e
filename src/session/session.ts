import type { WebSocket } from 'ws'
import type { CloseSpec } from '../protocol/close-codes.js'
import { RateBucket } from './rate-bucket.js'

export interface Authorization {
  licenseId: number
  key: string
  /** Unix seconds as last read; the expiry watcher re-reads before acting on it. */
  expiresAt: number | null
}

/** The id of every server-pushed event frame, as an exact integer literal (protocol §7). */
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
  private tail: Promise<void> = Promise.resolve()

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

  /** Runs `step` after every step queued before it; a failing step never stops the queue. */
  enqueue (step: () => void | Promise<void>, onError: (err: unknown) => void): Promise<void> {
    this.tail = this.tail.then(step).catch(onError)
    return this.tail
  }

  send (message: object): void {
    if (this.socket.readyState === 1) this.socket.send(JSON.stringify(message))
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
