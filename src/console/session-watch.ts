import type { FastifyBaseLogger } from 'fastify'
import type { SessionItemJson } from '../admin/schemas.js'

/** One console tab following an app's sessions: it gets SSE events. */
export interface SessionSubscriber {
  send: (event: 'snapshot' | 'session' | 'session_end', data: unknown) => void
}

/**
 * Follows one app's sessions for the console's live list. Sessions are rows in
 * Postgres written by every instance, so reading them is true across instances;
 * the list is read every `pollMs` while at least one tab watches the app, and the
 * differences go out as events: `snapshot` (the whole list, first), then `session`
 * (started or changed) and `session_end`. Reading rather than a NOTIFY per session
 * start and end keeps the session hot path free of commit-time notify work. A slow
 * read (an app with thousands of sessions) spaces the reads out, up to 10 s apart.
 */
export class AppSessionWatch {
  private readonly subscribers = new Map<SessionSubscriber, boolean>()
  private last = new Map<string, string>()
  private timer: NodeJS.Timeout | undefined
  private running = false
  private lastReadMs = 0

  constructor (
    private readonly list: () => Promise<SessionItemJson[]>,
    private readonly pollMs: number,
    private readonly log: FastifyBaseLogger,
    private readonly onIdle: () => void
  ) {}

  get size (): number {
    return this.subscribers.size
  }

  add (subscriber: SessionSubscriber): void {
    this.subscribers.set(subscriber, false)
    // A new tab needs its snapshot now, not at the next tick.
    clearTimeout(this.timer)
    this.timer = undefined
    void this.tick()
  }

  remove (subscriber: SessionSubscriber): void {
    this.subscribers.delete(subscriber)
    if (this.subscribers.size === 0) this.stop()
  }

  stop (): void {
    clearTimeout(this.timer)
    this.timer = undefined
    this.subscribers.clear()
    this.onIdle()
  }

  private schedule (): void {
    if (this.subscribers.size === 0 || this.timer !== undefined) return
    // An app with very many sessions takes longer to read: then read less often,
    // so a console left open never keeps the database more than a tenth busy.
    const delay = Math.max(this.pollMs, Math.min(10 * this.lastReadMs, 10_000))
    this.timer = setTimeout(() => {
      this.timer = undefined
      void this.tick()
    }, delay)
    this.timer.unref()
  }

  private async tick (): Promise<void> {
    if (this.running) return
    this.running = true
    try {
      const started = performance.now()
      const items = await this.list()
      this.lastReadMs = performance.now() - started
      const now = new Map(items.map(s => [s.id, JSON.stringify(s)]))
      const changed = items.filter(s => this.last.get(s.id) !== now.get(s.id))
      const ended = [...this.last.keys()].filter(id => !now.has(id))
      this.last = now
      for (const [subscriber, synced] of this.subscribers) {
        if (!synced) {
          subscriber.send('snapshot', { items })
          this.subscribers.set(subscriber, true)
          continue
        }
        for (const session of changed) subscriber.send('session', session)
        for (const id of ended) subscriber.send('session_end', { id })
      }
    } catch (err) {
      this.log.warn({ err }, 'console: reading live sessions failed')
    } finally {
      this.running = false
      this.schedule()
    }
  }
}
