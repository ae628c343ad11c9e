import { Type } from '@sinclair/typebox'
import { definePacket } from '../packet.js'
import { reply } from '../reply.js'
import { Text } from '../schema.js'
import { Status } from '../statuses.js'

const NOT_AUTHORIZED = reply(Status.NotAuthorized)

/** Type 4: links a license to the session's account and activates it (docs/protocol.md §7, Accounts). */
export default definePacket({
  type: 4,
  name: 'link_license',
  requires: 'account',
  schema: Type.Object({ license: Text() }),
  async handle (ctx, session, body) {
    const key = body.license
    if (key.length < 6) return reply(Status.LicenseTooShort)
    if (key.length > 64) return reply(Status.LicenseTooLong)
    const result = await ctx.repos.accounts.link(session.app.id, session.authorization.accountId, key)
    if (result.status === Status.AppUserNotFound) {
      // Deleted under us: the session no longer holds anything.
      await ctx.releaseAuthorization(session)
      return NOT_AUTHORIZED
    }
    // The coverage grew: the expiry watcher now waits for the new end.
    if (result.status === Status.Ok) session.authorizationExpires(result.expires_at)
    return reply(result.status)
  }
})
