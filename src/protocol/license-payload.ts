import type { LicenseView } from '../repositories/sessions.js'
import { reply, replyFromText, type Reply } from './reply.js'
import { Status } from './statuses.js'

type Fields = Pick<LicenseView, 'levels' | 'comment' | 'ip_address' | 'expires_at' | 'paused_at'>

/**
 * The fields of a found license that do not depend on the moment, as JSON text:
 * `"license":…,"levels":…,"comment":…` and `"ip_address":…` when stored. Packet 15
 * keeps it with the cached license state, so a read from the cache serializes
 * nothing but the time left and the status.
 */
export function licenseFields (key: string, license: Fields): string {
  const fields: Record<string, unknown> = { license: key, levels: license.levels, comment: license.comment }
  if (license.ip_address !== null) fields.ip_address = license.ip_address
  // One JSON.stringify gives flat text: a string pieced together with `+` would be
  // walked piece by piece again every time a reply containing it is sent.
  return JSON.stringify(fields).slice(1, -1)
}

/**
 * The license fields of packets 2 and 15 (docs/protocol.md §7, payload rules): `levels` and
 * `comment` once the license is found, `ip_address` when stored, and `time_left` only
 * for an activated license with a future expiry — the Unix expiry on the call that
 * activated it (unless `timeLeft` is 'seconds'), whole seconds remaining otherwise.
 * A paused license's remaining time is frozen at the moment it was paused. `now` is
 * Unix seconds. `fields` is `licenseFields(key, license)` when the caller kept it.
 * `lease`, a signed lease (docs/protocol.md §8), goes last before the status.
 */
export function licenseReply (
  key: string, status: number, license: Fields | null, now: number, activatedNow: boolean, timeLeft: 'timestamp' | 'seconds',
  fields?: string, lease?: string
): Reply {
  if (license === null || license.levels === null) return reply(status, { license: key })
  let body = fields ?? licenseFields(key, license)
  if (status !== Status.LicenseExpired && license.expires_at !== null) {
    const remaining = license.expires_at - (license.paused_at ?? now)
    if (remaining > 0) {
      const seconds = activatedNow && status === Status.Ok && timeLeft === 'timestamp'
        ? Math.floor(license.expires_at)
        : Math.floor(remaining)
      body += `,"time_left":${seconds}`
    }
  }
  // A compact JWS is base64url and dots: nothing in it needs escaping.
  if (lease !== undefined) body += `,"lease":"${lease}"`
  return replyFromText(status, body)
}
