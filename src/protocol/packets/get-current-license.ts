import { Type } from '@sinclair/typebox'
import type { LicenseState } from '../../repositories/licenses.js'
import type { LicenseSession } from '../../session/state.js'
import { definePacket, type Outcome, type PacketContext } from '../packet.js'
import { INVALID_NONCE, leaseNonce, Nonce } from '../lease.js'
import { licenseFields, licenseReply } from '../license-payload.js'
import { reply } from '../reply.js'
import { Status } from '../statuses.js'

const NOT_AUTHORIZED = reply(Status.NotAuthorized)

/**
 * Type 15: the authorized license as it is now. Served from the license cache when
 * it holds the license (every change to the row evicts it), else read afresh.
 */
export default definePacket({
  type: 15,
  name: 'get_current_license',
  requires: 'license',
  schema: Type.Object({ nonce: Nonce }),
  handle (ctx, session, body) {
    const nonce = leaseNonce(session, body.nonce)
    if (nonce === null) return INVALID_NONCE
    const cached = ctx.licenseCache.peek(session.authorization.licenseId)
    return cached !== undefined ? answer(ctx, session, cached, nonce) : afresh(ctx, session, nonce)
  }
})

async function afresh (ctx: PacketContext, session: LicenseSession, nonce: string | undefined): Promise<Outcome> {
  const { licenseId } = session.authorization
  const license = await ctx.licenseCache.fetch(licenseId)
  if (license === undefined) {
    // Deleted under us: the session no longer holds anything.
    await ctx.releaseAuthorization(session)
    return NOT_AUTHORIZED
  }
  return answer(ctx, session, license, nonce)
}

function answer (ctx: PacketContext, session: LicenseSession, license: LicenseState, nonce: string | undefined): Outcome {
  const { key } = session.authorization
  // This server's clock, not the one the state was read at: the entry may be old.
  const nowMs = ctx.now()
  const now = nowMs / 1000
  const status = license.blacklisted
    ? Status.LicenseBlacklisted
    : license.paused_at !== null
      ? Status.LicensePaused
      : license.expires_at === null || license.expires_at <= now ? Status.LicenseExpired : Status.Ok
  const lease = status === Status.Ok && session.app.signedLeases === true
    ? ctx.leases.issue(session, { license: key, levels: license.levels!, expiresAt: license.expires_at }, nonce, nowMs)
    : undefined
  return licenseReply(key, status, license, now, false, ctx.options.timeLeft, fieldsOf(key, license), lease)
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
