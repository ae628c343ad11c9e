import { Type } from '@sinclair/typebox'
import type { LicenseState } from '../../repositories/licenses.js'
import type { Authorization, Session } from '../../session/session.js'
import { definePacket, type Outcome, type PacketContext } from '../packet.js'
import { licenseFields, licenseReply } from '../license-payload.js'
import { Status } from '../statuses.js'

/**
 * Type 15: the authorized license as it is now. Served from the license cache when
 * it holds the license (every change to the row evicts it), else read afresh.
 */
export default definePacket({
  type: 15,
  name: 'get_current_license',
  schema: Type.Object({}),
  handle (ctx, session) {
    const auth = session.authorization
    if (auth === null) return { status: Status.NotAuthorized }
    const cached = ctx.licenseCache.peek(auth.licenseId)
    return cached !== undefined ? answer(ctx, auth, cached) : afresh(ctx, session, auth)
  }
})

async function afresh (ctx: PacketContext, session: Session, auth: Authorization): Promise<Outcome> {
  const license = await ctx.licenseCache.fetch(auth.licenseId)
  if (license === undefined) {
    // Deleted under us: the session no longer holds anything.
    await ctx.releaseAuthorization(session)
    return { status: Status.NotAuthorized }
  }
  return answer(ctx, auth, license)
}

function answer (ctx: PacketContext, auth: Authorization, license: LicenseState): Outcome {
  // This server's clock, not the one the state was read at: the entry may be old.
  const now = Date.now() / 1000
  const status = license.blacklisted
    ? Status.LicenseBlacklisted
    : license.paused_at !== null
      ? Status.LicensePaused
      : license.expires_at === null || license.expires_at <= now ? Status.LicenseExpired : Status.Ok
  return licenseReply(auth.key, status, license, now, false, ctx.options.timeLeft, fieldsOf(auth.key, license))
}

/**
 * The moment-independent JSON of a license state, kept per state object: the cache
 * replaces an entry on every change and never alters one, so the text stays true.
 */
const written = new WeakMap<LicenseState, { key: string, fields: string }>()

function fieldsOf (key: string, license: LicenseState): string {
  const known = written.get(license)
  if (known !== undefined && known.key === key) return known.fields
  const fields = licenseFields(key, license)
  written.set(license, { key, fields })
  return fields
}
