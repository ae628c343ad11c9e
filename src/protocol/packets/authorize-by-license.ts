import { Type } from '@sinclair/typebox'
import { definePacket } from '../packet.js'
import { INVALID_NONCE, leaseNonce, Nonce } from '../lease.js'
import { licenseReply } from '../license-payload.js'
import { reply } from '../reply.js'
import { Text } from '../schema.js'
import { Status } from '../statuses.js'

/** Type 2: the seed document, checks in the order of docs/protocol.md §7. */
export default definePacket({
  type: 2,
  name: 'authorize_by_license',
  requires: 'initialized',
  schema: Type.Object({ license: Text(), nonce: Nonce }),
  async handle (ctx, session, body) {
    const nonce = leaseNonce(session, body.nonce)
    if (nonce === null) return INVALID_NONCE
    const key = body.license
    if (session.authorization !== null) return reply(Status.AlreadyAuthorized, { license: key })
    if (key.length < 6) return reply(Status.LicenseTooShort, { license: key })
    if (key.length > 64) return reply(Status.LicenseTooLong, { license: key })
    const input = { sessionId: session.id, appId: session.app.id, key, clientId: session.clientId, ip: session.ip }
    const result = await ctx.withReleasesSettled(() => ctx.repos.sessions.authorizeLicense(input))
    if (result.status === Status.Ok) {
      session.authorize({ kind: 'license', licenseId: result.license_id!, key, expiresAt: result.expires_at })
      // The row just changed (IP, activation). Other holders hear of it through the
      // licenses trigger; this instance is not told (the trigger skips the authorizing
      // session), so it evicts here.
      ctx.licenseCache.changed(result.license_id!)
    }
    const lease = result.status === Status.Ok && session.app.signedLeases === true
      ? ctx.leases.issue(session, { license: key, levels: result.levels!, expiresAt: result.expires_at }, nonce, ctx.now())
      : undefined
    return licenseReply(key, result.status, result, result.now, result.activated_now, ctx.options.timeLeft, undefined, lease)
  }
})
