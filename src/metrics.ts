import { Counter, Gauge, Registry, collectDefaultMetrics } from 'prom-client'
import { PacketStats, type CollectedMetric } from './packet-stats.js'
import type { Pool } from 'pg'
import type { HubMetrics } from './session/hub.js'

export interface Metrics extends HubMetrics {
  registry: Registry
  /** An upgrade answered 503: the instance, or the client's IP, is at a connection limit. */
  upgradeRefused: (reason: string) => void
}

/** A registry of our own, so two licensewire instances in one process never collide. */
export function createMetrics (pool: Pool): Metrics {
  const registry = new Registry()
  collectDefaultMetrics({ register: registry, prefix: 'licensewire_' })
  const openSockets = new Gauge({ name: 'licensewire_open_sockets', help: 'WebSocket sessions open on this instance', registers: [registry] })
  const closes = new Counter({ name: 'licensewire_closes_total', help: 'Sockets closed, by close code', labelNames: ['code'] as const, registers: [registry] })
  const protocolErrors = new Counter({ name: 'licensewire_client_protocol_errors_total', help: 'WebSocket protocol errors of clients (ws closed the socket), by ws error code', labelNames: ['code'] as const, registers: [registry] })
  const refused = new Counter({ name: 'licensewire_upgrades_refused_total', help: 'WebSocket upgrades answered 503 at a connection limit, by limit (instance, ip, unauthorized)', labelNames: ['reason'] as const, registers: [registry] })
  const stats = new PacketStats()
  // Registered as plain collectors: the Registry only needs a name and get().
  const collector = (name: string, get: () => CollectedMetric) => ({ name, get: async () => get(), reset () {} })
  registry.registerMetric(collector('licensewire_packets_total', () =>
    stats.packets('licensewire_packets_total', 'Packets answered, by type and status')) as never)
  registry.registerMetric(collector('licensewire_handler_seconds', () =>
    stats.handlerSeconds('licensewire_handler_seconds', 'Packet handler latency')) as never)
  new Gauge({
    name: 'licensewire_pool_clients',
    help: 'Postgres pool clients by state',
    labelNames: ['state'] as const,
    registers: [registry],
    collect () {
      this.set({ state: 'total' }, pool.totalCount)
      this.set({ state: 'idle' }, pool.idleCount)
      this.set({ state: 'waiting' }, pool.waitingCount)
    }
  })
  return {
    registry,
    opened: () => openSockets.inc(),
    closed: code => { openSockets.dec(); closes.inc({ code: String(code) }) },
    packet: (type, status, seconds) => stats.record(type, status, seconds),
    protocolError: code => protocolErrors.inc({ code }),
    upgradeRefused: reason => refused.inc({ reason })
  }
}
