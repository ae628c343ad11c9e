import { EventEmitter } from 'node:events'
import pg from 'pg'
import type { FastifyBaseLogger } from 'fastify'
import type { BusListener, EventBus, LiveEvent } from '../events.js'

export const CHANNEL = 'licensewire_events'
/** Filled by the licenses triggers (migrations/003_license_notify.sql, functions/lw_license_changed.sql). */
export const LICENSE_CHANNEL = 'licensewire_licenses'

/** Lets operators and tests find an instance's listener connection in pg_stat_activity. */
export function listenerName (instanceId: string): string {
  return `licensewire-listener ${instanceId}`
}

const IGNORE: BusListener = { event () {}, licenseChanged () {}, up () {}, down () {} }

/**
 * Cross-instance delivery through Postgres LISTEN/NOTIFY: no broker beyond the
 * database every replica already shares. The listener reconnects with backoff;
 * `down` and `up` frame the gap, since NOTIFYs sent meanwhile are lost.
 */
export class PostgresEventBus implements EventBus {
  private client: pg.Client | undefined
  private listener = IGNORE
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
      if (message.payload === undefined) return
      try {
        if (message.channel === LICENSE_CHANNEL) this.listener.licenseChanged(Number(message.payload))
        else if (message.channel === CHANNEL) this.listener.event(JSON.parse(message.payload) as LiveEvent)
      } catch (err) {
        this.log.error({ err }, 'bad live event payload')
      }
    })
    client.on('error', err => this.lost(client, err))
    client.on('end', () => this.lost(client, undefined))
    try {
      await client.connect()
      await client.query(`LISTEN ${CHANNEL}; LISTEN ${LICENSE_CHANNEL}`)
    } catch (err) {
      client.end().catch(() => {})
      throw err
    }
    // Closed while this reconnect was under way: the connection must not outlive the
    // bus, or it keeps the process alive.
    if (this.closed) {
      await client.end().catch(() => {})
      return
    }
    this.client = client
    this.retryMs = 100
    this.listener.up()
  }

  private lost (client: pg.Client, err: Error | undefined): void {
    if (this.client !== client || this.closed) return
    this.client = undefined
    this.listener.down()
    this.log.warn({ err }, 'event listener connection lost; reconnecting')
    client.end().catch(() => {})
    this.scheduleReconnect()
  }

  private scheduleReconnect (): void {
    this.timer = setTimeout(() => {
      this.connect().then(() => this.log.info('event listener reconnected'), err => {
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

  subscribe (listener: BusListener): void {
    this.listener = listener
    if (this.client !== undefined) listener.up()
  }

  async close (): Promise<void> {
    this.closed = true
    clearTimeout(this.timer)
    await this.client?.end().catch(() => {})
  }
}

/**
 * One process (embedded Postgres): events stay in memory. It never reports `up`:
 * license changes made by SQL are not heard, so nothing may cache license state.
 */
export class LocalEventBus implements EventBus {
  private readonly emitter = new EventEmitter()

  async publish (event: LiveEvent): Promise<void> {
    this.emitter.emit('event', event)
  }

  subscribe (listener: BusListener): void {
    this.emitter.on('event', listener.event)
  }

  async close (): Promise<void> {
    this.emitter.removeAllListeners()
  }
}
