/**
 * Packet counts and handler latency, recorded per packet with plain arithmetic and
 * turned into Prometheus metrics only when /metrics is scraped: prom-client's own
 * counters hash their labels on every call, which showed in the per-packet profile.
 */
const BUCKETS = [0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 1]

/** One packet type: answers by status, and handler latency. */
interface TypeStats {
  statuses: Map<number | string, number>
  /** Observations per bucket (not cumulative); the last slot is +Inf. */
  counts: number[]
  sum: number
  total: number
}

/** The shape prom-client's Registry reads from a registered metric. */
export interface CollectedMetric {
  name: string
  help: string
  type: 'counter' | 'histogram'
  aggregator: 'sum'
  values: { metricName?: string, labels: Record<string, string | number>, value: number }[]
}

export class PacketStats {
  // Keyed by the packet's name, then its status: no label string is built per packet.
  private readonly types = new Map<string, TypeStats>()

  record (type: string, status: number | string, seconds: number): void {
    let stats = this.types.get(type)
    if (stats === undefined) {
      stats = { statuses: new Map(), counts: new Array<number>(BUCKETS.length + 1).fill(0), sum: 0, total: 0 }
      this.types.set(type, stats)
    }
    stats.statuses.set(status, (stats.statuses.get(status) ?? 0) + 1)
    let i = 0
    while (i < BUCKETS.length && seconds > BUCKETS[i]!) i++
    stats.counts[i]!++
    stats.sum += seconds
    stats.total++
  }

  packets (name: string, help: string): CollectedMetric {
    const values: CollectedMetric['values'] = []
    for (const [type, stats] of this.types) {
      for (const [status, n] of stats.statuses) values.push({ labels: { type, status: String(status) }, value: n })
    }
    return { name, help, type: 'counter', aggregator: 'sum', values }
  }

  handlerSeconds (name: string, help: string): CollectedMetric {
    const values: CollectedMetric['values'] = []
    for (const [type, stats] of this.types) {
      let cumulative = 0
      BUCKETS.forEach((le, i) => {
        cumulative += stats.counts[i]!
        values.push({ metricName: `${name}_bucket`, labels: { le, type }, value: cumulative })
      })
      values.push({ metricName: `${name}_bucket`, labels: { le: '+Inf', type }, value: stats.total })
      values.push({ metricName: `${name}_sum`, labels: { type }, value: stats.sum })
      values.push({ metricName: `${name}_count`, labels: { type }, value: stats.total })
    }
    return { name, help, type: 'histogram', aggregator: 'sum', values }
  }
}
