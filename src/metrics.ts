import { Counter, Gauge, Histogram, Registry, collectDefaultMetrics } from 'prom-client'
import type { Pool } from 'pg'
import type { HubMetrics } from './session/hub.js'

export interface Metrics extends HubMetrics {
  registry: Registry
}

/** A registry of our own, so two licensewire instances in one process never collide. */
export function createMetrics (pool: Pool): Metrics {
  const registry = new Registry()
  collectDefaultMetrics({ register: registry, prefix: 'licensewire_' })
  const openSockets = new Gauge({ name: 'licensewire_open_sockets', help: 'WebSocket sessions open on this instance', registers: [registry] })
  const packets = new Counter({ name: 'licensewire_packets_total', help: 'Packets answered, by type and status', labelNames: ['type', 'status'] as const, registers: [registry] })
  const closes = new Counter({ name: 'licensewire_closes_total', help: 'Sockets closed, by close code', labelNames: ['code'] as const, registers: [registry] })
  const latency = new Histogram({
    name: 'licensewire_handler_seconds',
    help: 'Packet handler latency',
    labelNames: ['type'] as const,
    buckets: [0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 1],
    registers: [registry]
  })
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
  // Label lookups hash their labels on every call: keep the children per packet outcome.
  const perOutcome = new Map<string, { count: { inc: () => void }, time: { observe: (v: number) => void } }>()
  return {
    registry,
    opened: () => openSockets.inc(),
    closed: code => { openSockets.dec(); closes.inc({ code: String(code) }) },
    packet: (type, status, seconds) => {
      const key = `${type}:${status}`
      let child = perOutcome.get(key)
      if (child === undefined) {
        child = { count: packets.labels(type, String(status)), time: latency.labels(type) }
        perOutcome.set(key, child)
      }
      child.count.inc()
      child.time.observe(seconds)
    }
  }
}
