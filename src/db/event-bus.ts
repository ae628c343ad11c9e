import { EventEmitter } from 'node:events'
import pg from 'pg'
import type { FastifyBaseLogger } from 'fastify'
import type { EventBus, LiveEvent } from '../events.js'

export const CHANNEL = 'licensewire_events'
/** Lets operators and tests find an instance's listener connection in pg_stat_activity. */
export function listenerName (instanceId: string): string {
  return `licensewire-listener ${instanceId}`
}

/**
 * Cross-instance delivery through Postgres LISTEN/NOTIFY: no broker beyond the
 * database every replica already shares. The listener reconnects with backoff and
 * then asks for a resync, because NOTIFYs sent while it was away are lost.
 */
export class PostgresEventBus implements EventBus {
  private client: pg.Client | undefined
  private onEvent: (event: LiveEvent) => void = () => {}
  private onResync: () => void = () => {}
  private closed = false
  private retryMs = 100
  private timer: NodeJS.Timeout | undefined

  constructor (
    private readonly pool: pg.Pool,
    private readonly log: FastifyBaseLogger,
    private readonly instanceId: string
  ) {}

  async start (): Promise<void> {
    await this.connect()
  }

  private async connect (): Promise<void> {
    const client = new pg.Client({ ...this.pool.options, application_name: listenerName(this.instanceId) })
    client.on('notification', message => {
      if (message.channel !== CHANNEL || message.payload === undefined) return
      try {
        this.onEvent(JSON.parse(message.payload) as LiveEvent)
      } catch (err) {
        this.log.error({ err }, 'bad live event payload')
      }
    })
    client.on('error', err => this.lost(client, err))
    client.on('end', () => this.lost(client, undefined))
    await client.connect()
    await client.query(`LISTEN ${CHANNEL}`)
    this.client = client
    this.retryMs = 100
  }

  private lost (client: pg.Client, err: Error | undefined): void {
    if (this.client !== client || this.closed) return
    this.client = undefined
    this.log.warn({ err }, 'event listener connection lost; reconnecting')
    client.end().catch(() => {})
    this.scheduleReconnect()
  }

  private scheduleReconnect (): void {
    this.timer = setTimeout(() => {
      this.connect().then(() => {
        this.log.info('event listener reconnected')
        this.onResync()
      }, err => {
        this.log.warn({ err }, 'event listener reconnect failed')
        this.retryMs = Math.min(this.retryMs * 2, 5000)
        this.scheduleReconnect()
      })
    }, this.retryMs)
    this.timer.unref()
  }

  async publish (event: LiveEvent): Promise<void> {
    await this.pool.query('SELECT pg_notify($1, $2)', [CHANNEL, JSON.stringify(event)])
  }

  subscribe (onEvent: (event: LiveEvent) => void, onResync: () => void): void {
    this.onEvent = onEvent
    this.onResync = onResync
  }

  async close (): Promise<void> {
    this.closed = true
    clearTimeout(this.timer)
    await this.client?.end().catch(() => {})
  }
}

/** One process (embedded Postgres): events stay in memory. */
export class LocalEventBus implements EventBus {
  private readonly emitter = new EventEmitter()

  async publish (event: LiveEvent): Promise<void> {
    this.emitter.emit('event', event)
  }

  subscribe (onEvent: (event: LiveEvent) => void): void {
    this.emitter.on('event', onEvent)
  }

  async close (): Promise<void> {
    this.emitter.removeAllListeners()
  }
}
