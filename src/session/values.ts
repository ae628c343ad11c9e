/** Live entries one session may hold (status 702 beyond). */
export const MAX_VALUE_ENTRIES = 64
/** UTF-8 bytes of every live key plus its value one session may hold (status 701 beyond). */
export const MAX_VALUE_BYTES = 16384

/** What a write did: stored, or refused for the entry count or the byte total. */
export type ValueWrite = 'stored' | 'too-many-entries' | 'too-many-bytes'

/** A store entry as JSON: key, value, and when it expires (ms since the epoch). */
export type ValueEntryJson = [key: string, value: string, expiresAt: number]

interface Entry {
  value: string
  expiresAt: number
  bytes: number
}

/**
 * A session's key/value store (packets 12–14). Times are the caller's clock in
 * milliseconds; an entry is live while `now < expiresAt`. Expired entries are
 * dropped before a write, so they neither count toward the limits nor answer.
 */
export class SessionValues {
  private readonly entries = new Map<string, Entry>()
  private bytes = 0
  /** The earliest expiry among the entries: no sweep is needed before it. */
  private nextExpiry = Infinity

  get size (): number {
    return this.entries.size
  }

  get (key: string, now: number): string | undefined {
    const entry = this.entries.get(key)
    return entry !== undefined && entry.expiresAt > now ? entry.value : undefined
  }

  /** Stores the value, replacing an existing one and its expiry; a refused write changes nothing. */
  set (key: string, value: string, expiresAt: number, now: number): ValueWrite {
    this.sweep(now)
    const old = this.entries.get(key)
    if (old === undefined && this.entries.size >= MAX_VALUE_ENTRIES) return 'too-many-entries'
    const bytes = Buffer.byteLength(key) + Buffer.byteLength(value)
    const total = this.bytes - (old?.bytes ?? 0) + bytes
    if (total > MAX_VALUE_BYTES) return 'too-many-bytes'
    this.entries.set(key, { value, expiresAt, bytes })
    this.bytes = total
    this.nextExpiry = Math.min(this.nextExpiry, expiresAt)
    return 'stored'
  }

  /** Removes the entry; true when it was live. */
  delete (key: string, now: number): boolean {
    const entry = this.entries.get(key)
    if (entry === undefined) return false
    this.remove(key, entry)
    return entry.expiresAt > now
  }

  toJSON (): ValueEntryJson[] {
    return [...this.entries].map(([key, e]) => [key, e.value, e.expiresAt])
  }

  static fromJSON (json: ValueEntryJson[]): SessionValues {
    const values = new SessionValues()
    for (const [key, value, expiresAt] of json) {
      const bytes = Buffer.byteLength(key) + Buffer.byteLength(value)
      values.entries.set(key, { value, expiresAt, bytes })
      values.bytes += bytes
      values.nextExpiry = Math.min(values.nextExpiry, expiresAt)
    }
    return values
  }

  private sweep (now: number): void {
    if (now < this.nextExpiry) return
    this.nextExpiry = Infinity
    for (const [key, entry] of this.entries) {
      if (entry.expiresAt <= now) this.remove(key, entry)
      else this.nextExpiry = Math.min(this.nextExpiry, entry.expiresAt)
    }
  }

  private remove (key: string, entry: Entry): void {
    this.entries.delete(key)
    this.bytes -= entry.bytes
  }
}
