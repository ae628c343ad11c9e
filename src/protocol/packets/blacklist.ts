import { Type } from '@sinclair/typebox'
import { AccountEvent, LicenseEvent, type LiveEvent } from '../../events.js'
import type { Authorization } from '../../session/state.js'
import { Close } from '../close-codes.js'
import { definePacket, type Outcome } from '../packet.js'
import { reply } from '../reply.js'
import { Text } from '../schema.js'
import { Status } from '../statuses.js'

const QUOTA_EXCEEDED = reply(Status.AppBlacklistsQuotaExceeded)
const BLACKLISTED: Outcome = { reply: reply(Status.Ok), close: Close.SessionBlacklisted }

/**
 * Type 6: the session blacklists its own client_id and what it is authorized with,
 * in one transaction (lw_blacklist_session), then closes 4203. Every other session
 * then sees what an administrator's blacklisting would cause.
 */
export default definePacket({
  type: 6,
  name: 'blacklist',
  requires: 'initialized',
  schema: Type.Object({ comment: Type.Optional(Text({ maxLength: 256 })) }),
  async handle (ctx, session, body) {
    const appId = session.app.id
    const clientId = session.clientId
    const status = await ctx.repos.sessions.blacklist({ sessionId: session.id, appId, clientId, comment: body.comment ?? null })
    if (status !== Status.Ok) return QUOTA_EXCEEDED
    // The slot went back in that transaction; only this process still thinks it is held.
    const held = session.deauthorize()
    if (held?.kind === 'license') ctx.licenseCache.changed(held.licenseId)
    // This session hears these events too, but only after this step in its queue, when
    // it has closed 4203 already: they drop nothing it still holds and close nothing.
    for (const event of effects(appId, clientId, held)) {
      try {
        await ctx.publish(event)
      } catch (err) {
        // Committed already: the client is blacklisted whether or not others hear now.
        ctx.log.error({ err, event: event.type }, 'publishing a live event failed')
      }
    }
    return BLACKLISTED
  }
})

/**
 * The live events an administrator's blacklisting would send, the license's or the
 * account's first so their holders get event 201 or 300 before a 4204 close.
 */
function effects (appId: number, clientId: string, held: Authorization | null): LiveEvent[] {
  const events: LiveEvent[] = []
  if (held?.kind === 'license') events.push({ type: 'license_changed', appId, licenseId: held.licenseId, event: LicenseEvent.Blacklisted })
  if (held?.kind === 'account') events.push({ type: 'account_changed', appId, accountId: held.accountId, event: AccountEvent.Blacklisted })
  events.push({ type: 'client_blacklisted', appId, clientId })
  return events
}
