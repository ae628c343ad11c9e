import { Type } from '@sinclair/typebox'
import { definePacket } from '../packet.js'
import { reply } from '../reply.js'
import { Status } from '../statuses.js'

/** Type 10: initialized sessions of this app on every live instance. */
export default definePacket({
  type: 10,
  name: 'online_users_count',
  requires: 'initialized',
  schema: Type.Object({}),
  async handle (ctx, session) {
    const count = await ctx.repos.sessions.onlineCount(session.app.id)
    return reply(Status.Ok, { online_users_count: count })
  }
})
