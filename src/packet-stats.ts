/**
 * Packet counts and handler latency, recorded per packet with plain arithmetic and
 * turned into Prometheus metrics only when /metrics is scraped: prom-client's own
 * counters hash their labels on every call, which showed in the per-packet profile.
 */
const BUCKETS = [0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 1]

interface Latency {
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
  private readonly outcomes = new Map<string, { type: string, status: string, n: number }>()
  private readonly latency = new Map<string, Latency>()

  record (type: string, status: number | string, seconds: number): void {
    const key = `${type}:${status}`
    const outcome = this.outcomes.get(key)
    if (outcome !== undefined) outcome.n++
    else this.outcomes.set(key, { type, status: String(status), n: 1 })
    let latency = this.latency.get(type)
    if (latency === undefined) {
      latency = { counts: new Array<number>(BUCKETS.length + 1).fill(0), sum: 0, total: 0 }
      this.latency.set(type, latency)
    }
    let i = 0
    while (i < BUCKETS.length && seconds > BUCKETS[i]!) i++
    latency.counts[i]!++
    latency.sum += seconds
    latency.total++
  }

  packets (name: string, help: string): CollectedMetric {
    return {
      name,
      help,
      type: 'counter',
      aggregator: 'sum',
      values: [...this.outcomes.values()].map(o => ({ labels: { type: o.type, status: o.status }, value: o.n }))
    }
  }

  handlerSeconds (name: string, help: string): CollectedMetric {
    const values: CollectedMetric['values'] = []
    for (const [type, latency] of this.latency) {
      let cumulative = 0
      BUCKETS.forEach((le, i) => {
        cumulative += latency.counts[i]!
        values.push({ metricName: `${name}_bucket`, labels: { le, type }, value: cumulative })
      })
      values.push({ metricName: `${name}_bucket`, labels: { le: '+Inf', type }, value: latency.total })
      values.push({ metricName: `${name}_sum`, labels: { type }, value: latency.sum })
      values.push({ metricName: `${name}_count`, labels: { type }, value: latency.total })
    }
    return { name, help, type: 'histogram', aggregator: 'sum', values }
  }
}
