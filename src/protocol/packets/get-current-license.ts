import { Type } from '@sinclair/typebox'
import { definePacket } from '../packet.js'
import { licenseReply } from '../license-payload.js'
import { Status } from '../statuses.js'

/** Type 15: the authorized license, read afresh. */
export default definePacket({
  type: 15,
  name: 'get_current_license',
  schema: Type.Object({}),
  async handle (ctx, session) {
    const auth = session.authorization
    if (auth === null) return { status: Status.NotAuthorized }
    const license = await ctx.repos.licenses.current(auth.licenseId)
    if (license === undefined) {
      // Deleted under us: the session no longer holds anything.
      await ctx.repos.sessions.releaseAuthorization(session.id)
      session.authorization = null
      return { status: Status.NotAuthorized }
    }
    const status = license.blacklisted
      ? Status.LicenseBlacklisted
      : license.paused_at !== null
        ? Status.LicensePaused
        : license.expires_at === null || license.expires_at <= license.now ? Status.LicenseExpired : Status.Ok
    return licenseReply(auth.key, status, license, false, ctx.options.timeLeft)
  }
})
