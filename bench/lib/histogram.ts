/**
 * A mergeable latency histogram with ~1 % resolution: values are kept in
 * logarithmic buckets of microseconds, so a worker can record millions of samples
 * in a fixed few kilobytes and send them to the orchestrator as a sparse list.
 */
const BUCKETS_PER_E = 100
const SIZE = Math.ceil(Math.log(1e9) * BUCKETS_PER_E) + 2 // up to ~1000 s

export interface HistogramData {
  /** [bucket, count] pairs of the non-empty buckets. */
  buckets: [number, number][]
  count: number
  sum: number
  min: number
  max: number
}

export interface LatencySummary {
  count: number
  mean: number
  p50: number
  p90: number
  p99: number
  max: number
}

export class Histogram {
  private readonly counts = new Float64Array(SIZE)
  count = 0
  sum = 0
  min = Infinity
  max = 0

  /** Records one value in milliseconds. */
  record (ms: number): void {
    const us = ms * 1000
    const i = us < 1 ? 0 : Math.min(SIZE - 1, Math.floor(Math.log(us) * BUCKETS_PER_E) + 1)
    this.counts[i]! += 1
    this.count++
    this.sum += ms
    if (ms < this.min) this.min = ms
    if (ms > this.max) this.max = ms
  }

  merge (data: HistogramData): void {
    for (const [i, n] of data.buckets) this.counts[i]! += n
    this.count += data.count
    this.sum += data.sum
    if (data.count > 0) {
      this.min = Math.min(this.min, data.min)
      this.max = Math.max(this.max, data.max)
    }
  }

  toJSON (): HistogramData {
    const buckets: [number, number][] = []
    for (let i = 0; i < SIZE; i++) if (this.counts[i]! > 0) buckets.push([i, this.counts[i]!])
    return { buckets, count: this.count, sum: this.sum, min: this.count > 0 ? this.min : 0, max: this.max }
  }

  static from (data: HistogramData): Histogram {
    const h = new Histogram()
    h.merge(data)
    return h
  }

  /** The value (ms) below which `q` of the samples fall: the bucket's upper bound, capped at max. */
  quantile (q: number): number {
    if (this.count === 0) return NaN
    const rank = Math.max(1, Math.ceil(q * this.count))
    let seen = 0
    for (let i = 0; i < SIZE; i++) {
      seen += this.counts[i]!
      if (seen >= rank) {
        const upperUs = i === 0 ? 1 : Math.exp(i / BUCKETS_PER_E)
        return Math.max(this.min, Math.min(this.max, upperUs / 1000))
      }
    }
    return this.max
  }

  summary (): LatencySummary {
    return {
      count: this.count,
      mean: this.count > 0 ? this.sum / this.count : NaN,
      p50: this.quantile(0.5),
      p90: this.quantile(0.9),
      p99: this.quantile(0.99),
      max: this.count > 0 ? this.max : NaN
    }
  }
}
