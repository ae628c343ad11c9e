import type { Connection } from './connection.js'

/**
 * Dead-peer detection: every interval each socket is pinged, and a socket that did
 * not answer the previous ping is terminated (its close then releases the session).
 */
export class Heartbeat {
  private timer: NodeJS.Timeout | undefined

  constructor (private readonly connections: Iterable<Connection>, private readonly intervalMs: number) {}

  start (): void {
    this.timer = setInterval(() => this.beat(), this.intervalMs).unref()
  }

  private beat (): void {
    for (const connection of this.connections) {
      if (!connection.alive) {
        connection.socket.terminate()
        continue
      }
      connection.alive = false
      connection.socket.ping()
    }
  }

  stop (): void {
    clearInterval(this.timer)
  }
}
