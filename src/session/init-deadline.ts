import type { Connection } from './connection.js'

/**
 * The Initialize deadline of every socket, on one timer: every socket gets the same
 * timeout, so they expire in the order they opened and a queue is enough. Costs no
 * timer or closure per socket.
 */
export class InitDeadlines {
  private queue: Connection[] = []
  private head = 0
  private timer: NodeJS.Timeout | undefined

  constructor (
    private readonly timeoutMs: number,
    /** Called for a socket still open and not initialized when its time is up. */
    private readonly expired: (connection: Connection) => void,
    private readonly now: () => number = Date.now
  ) {}

  add (connection: Connection): void {
    this.queue.push(connection)
    if (this.timer === undefined) this.schedule()
  }

  private settled (connection: Connection): boolean {
    return connection.closing || connection.state.initialized
  }

  private schedule (): void {
    while (this.head < this.queue.length && this.settled(this.queue[this.head]!)) this.head++
    // Drop what is behind the head once it is most of the array.
    if (this.head > 256 && this.head * 2 > this.queue.length) {
      this.queue = this.queue.slice(this.head)
      this.head = 0
    }
    const next = this.queue[this.head]
    if (next === undefined) {
      this.queue = []
      this.head = 0
      this.timer = undefined
      return
    }
    const delay = Math.max(0, next.openedAt + this.timeoutMs - this.now())
    this.timer = setTimeout(() => this.fire(), delay)
  }

  private fire (): void {
    const now = this.now()
    while (this.head < this.queue.length) {
      const connection = this.queue[this.head]!
      if (connection.openedAt + this.timeoutMs > now) break
      this.head++
      if (!this.settled(connection)) this.expired(connection)
    }
    this.schedule()
  }

  stop (): void {
    clearTimeout(this.timer)
    this.timer = undefined
    this.queue = []
    this.head = 0
  }
}
