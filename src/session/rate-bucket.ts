/** Token bucket: `capacity` actions, refilled evenly over `windowMs`. */
export class RateBucket {
  private tokens: number
  private last: number

  constructor (private readonly capacity: number, private readonly windowMs: number, now = Date.now()) {
    this.tokens = capacity
    this.last = now
  }

  /** Takes one token; false when the bucket is empty. */
  take (now = Date.now()): boolean {
    const refill = ((now - this.last) * this.capacity) / this.windowMs
    this.tokens = Math.min(this.capacity, this.tokens + refill)
    this.last = now
    if (this.tokens < 1) return false
    this.tokens -= 1
    return true
  }
}
