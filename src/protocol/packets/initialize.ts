import { Type } from '@sinclair/typebox'
import { Close, rateLimitedFor } from '../close-codes.js'
import { definePacket, type Outcome } from '../packet.js'
import { reply } from '../reply.js'
import { Text } from '../schema.js'
import { Status } from '../statuses.js'

/** Statuses that count toward the 4th-failure close (docs/protocol.md §4). */
const FAILED = new Set<number>([Status.InvalidAPIKey, Status.AppNotFound, Status.AppPaused])
const MAX_FAILED = 3

/** Type 0: binds the session to an app and a client_id (docs/protocol.md §7). */
export default definePacket({
  type: 0,
  name: 'initialize',
  requires: 'nothing',
  schema: Type.Object({ websocket_api_key: Text(), client_id: Text() }),
  async handle (ctx, session, body): Promise<Outcome> {
    const key = body.websocket_api_key
    const clientId = body.client_id
    // Steps 2–4 need no database, but step 1 (the cool-down) comes first.
    const local = session.initialized
      ? Status.AlreadyInitialized
      : key.length !== 21
        ? Status.InvalidAPIKey
        : clientId.length < 4
          ? Status.ClientIDTooShort
          : clientId.length > 64 ? Status.ClientIDTooLong : 0
    const input = { sessionId: session.id, instanceId: ctx.instanceId, apiKey: local === 0 ? key : null, clientId, ip: session.ip, resumeHash: session.resumeHash }
    const result = await ctx.withReleasesSettled(() => ctx.repos.sessions.initialize(input))
    if (result.status === 0) return { close: rateLimitedFor(result.cooldown_seconds ?? 1) }
    const status = local === 0 ? result.status : local

    if (status === Status.Ok) {
      const app = { id: result.app_id!, name: result.app_name ?? '', version: result.app_version ?? '', signedLeases: result.signed_leases === true }
      session.initialize(app, clientId)
      return reply(status, { app_name: app.name, app_version: app.version })
    }
    if (FAILED.has(status) && session.initializeFailed() > MAX_FAILED) return { close: Close.FailedToInitialize }
    if (status === Status.ClientIDBlacklisted) return { reply: reply(status), close: Close.ClientIdBlacklisted }
    return reply(status)
  }
})
