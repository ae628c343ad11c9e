import { Type } from '@sinclair/typebox'
import { accountReply } from '../account-payload.js'
import { accountLease, INVALID_NONCE, leaseNonce, Nonce } from '../lease.js'
import { definePacket } from '../packet.js'
import { reply } from '../reply.js'
import { Status } from '../statuses.js'

const NOT_AUTHORIZED = reply(Status.NotAuthorized)

/** Type 16: the session's account as it is now (docs/protocol.md §7, Accounts). */
export default definePacket({
  type: 16,
  name: 'get_current_account',
  requires: 'account',
  schema: Type.Object({ nonce: Nonce }),
  async handle (ctx, session, body) {
    const nonce = leaseNonce(session, body.nonce)
    if (nonce === null) return INVALID_NONCE
    const account = await ctx.repos.accounts.current(session.authorization.accountId)
    if (account === undefined) {
      // Deleted under us: the session no longer holds anything.
      await ctx.releaseAuthorization(session)
      return NOT_AUTHORIZED
    }
    session.authorizationExpires(account.expires_at)
    const uncovered = account.requires_license && account.expires_at === null
    if (uncovered) return accountReply(Status.AppUserHasNoValidLicenses, account)
    return accountReply(Status.Ok, account, accountLease(ctx, session, account, nonce))
  }
})
