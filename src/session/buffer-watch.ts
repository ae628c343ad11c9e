import { Close } from '../protocol/close-codes.js'
import type { Connection } from './connection.js'

/** How long a socket may stay over the limit before it is closed. */
const GRACE_MS = 3000
const CHECK_MS = 500

/**
 * Clients that stopped reading: a socket whose unsent bytes pass MAX_BUFFERED_BYTES
 * has its frames paused (no more answers pile up), and is closed 1008 when it is
 * still over the limit after a few seconds. One timer for all, running only while
 * some socket is over.
 */
export class BufferWatch {
  private readonly over = new Map<Connection, number>()
  private timer: NodeJS.Timeout | undefined

  constructor (readonly maxBufferedBytes: number, private readonly now: () => number = Date.now) {}

  /** After a send: starts watching the socket when it went over the limit. */
  sent (connection: Connection): void {
    if (connection.socket.bufferedAmount <= this.maxBufferedBytes || this.over.has(connection)) return
    connection.socket.pause()
    this.over.set(connection, this.now())
    this.timer ??= setInterval(() => this.check(), CHECK_MS).unref()
  }

  private check (): void {
    const now = this.now()
    for (const [connection, since] of this.over) {
      const { socket } = connection
      if (socket.readyState !== 1) {
        this.over.delete(connection)
      } else if (socket.bufferedAmount <= this.maxBufferedBytes) {
        this.over.delete(connection)
        if (!connection.closing) socket.resume()
      } else if (now - since >= GRACE_MS) {
        this.over.delete(connection)
        // Queued behind what is unsent: a client that reads again sees it; one that
        // never does is dropped by ws' own close timeout. Reading again lets the
        // client's closing handshake through; its frames are no longer taken.
        connection.close(Close.PolicyViolation)
        socket.resume()
      }
    }
    if (this.over.size === 0) this.stop()
  }

  stop (): void {
    clearInterval(this.timer)
    this.timer = undefined
  }
}
