import { readFileSync } from 'node:fs'
import type { Connection } from './session/connection.js'

/** Seconds a refused client is told to wait (`Retry-After`). */
export const REFUSED_RETRY_AFTER_S = 5

/** Connections to take at most, whatever the fd limit: beyond this one process is the wrong tool. */
const CEILING = 10_000

/**
 * The process's soft limit on open files (`ulimit -n`), from /proc/self/limits;
 * undefined where there is none (not Linux) or it is unlimited.
 */
export function openFilesLimit (read: () => string = () => readFileSync('/proc/self/limits', 'utf8')): number | undefined {
  try {
    const match = /^Max open files\s+(\d+|unlimited)\s/m.exec(read())
    return match === null || match[1] === 'unlimited' ? undefined : Number(match[1])
  } catch {
    return undefined
  }
}

/**
 * The default MAX_CONNECTIONS: 80 % of the fd limit, so the database pool, health
 * checks, file downloads and the admin API keep descriptors of their own once the
 * sockets reach it; at most 10,000.
 */
export function defaultMaxConnections (limit = openFilesLimit()): number {
  return limit === undefined ? CEILING : Math.max(1, Math.min(CEILING, Math.floor(limit * 0.8)))
}

export type Refusal = 'instance' | 'ip' | 'unauthorized'

export interface Limits {
  maxConnections: number
  maxConnectionsPerIp: number
  /** Sessions of one IP not authorized (yet): they need only the app's public API key. */
  maxUnauthorizedPerIp: number
}

/**
 * The WebSocket connections of this instance, by client IP, checked before an upgrade
 * is accepted. Counting sockets rather than trusting the fd limit keeps descriptors
 * for the health routes, which must answer while the sockets are at their limit.
 */
export class ConnectionLimits {
  private total = 0
  private readonly byIp = new Map<string, Set<Connection>>()

  constructor (private readonly limits: Limits) {}

  get size (): number {
    return this.total
  }

  /** Why an upgrade from `ip` must be refused now, or undefined to accept it. */
  refusal (ip: string): Refusal | undefined {
    if (this.total >= this.limits.maxConnections) return 'instance'
    const mine = this.byIp.get(ip)
    if (mine === undefined) return undefined
    if (mine.size >= this.limits.maxConnectionsPerIp) return 'ip'
    // A walk over one IP's sessions, bounded by maxConnectionsPerIp; skipped when it cannot bind.
    if (mine.size >= this.limits.maxUnauthorizedPerIp) {
      let unauthorized = 0
      for (const connection of mine) {
        if (connection.state.authorization === null && ++unauthorized >= this.limits.maxUnauthorizedPerIp) return 'unauthorized'
      }
    }
    return undefined
  }

  /** Counts an accepted socket until it closes. */
  track (connection: Connection): void {
    const { ip } = connection.state
    let mine = this.byIp.get(ip)
    if (mine === undefined) this.byIp.set(ip, mine = new Set())
    mine.add(connection)
    this.total++
    connection.socket.once('close', () => {
      this.total--
      mine.delete(connection)
      if (mine.size === 0 && this.byIp.get(ip) === mine) this.byIp.delete(ip)
    })
  }
}
