import type { LicenseView } from '../repositories/sessions.js'
import type { Reply } from './packet.js'
import { Status } from './statuses.js'

type Fields = Pick<LicenseView, 'levels' | 'comment' | 'ip_address' | 'expires_at' | 'paused_at'>

/**
 * The license fields of packets 2 and 15 (protocol §7 payload rules): `levels` and
 * `comment` once the license is found, `ip_address` when stored, and `time_left` only
 * for an activated license with a future expiry — the Unix expiry on the call that
 * activated it (unless `timeLeft` is 'seconds'), whole seconds remaining otherwise.
 * A paused license's remaining time is frozen at the moment it was paused. `now` is
 * Unix seconds.
 */
export function licenseReply (
  key: string, status: number, license: Fields | null, now: number, activatedNow: boolean, timeLeft: 'timestamp' | 'seconds'
): Reply {
  if (license === null || license.levels === null) return { license: key, status }
  const reply: Record<string, unknown> = { license: key, levels: license.levels, comment: license.comment }
  if (license.ip_address !== null) reply.ip_address = license.ip_address
  if (status !== Status.LicenseExpired && license.expires_at !== null) {
    const remaining = license.expires_at - (license.paused_at ?? now)
    if (remaining > 0) {
      reply.time_left = activatedNow && status === Status.Ok && timeLeft === 'timestamp'
        ? Math.floor(license.expires_at)
        : Math.floor(remaining)
    }
  }
  // Last, as in the seed's example.
  reply.status = status
  return reply as Reply
}
