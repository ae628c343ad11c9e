import { Type } from '@sinclair/typebox'
import { definePacket } from '../packet.js'
import { Status } from '../statuses.js'

/** Type 5: drops the authorization and its quota slot; the socket stays initialized. */
export default definePacket({
  type: 5,
  name: 'logout',
  schema: Type.Object({}),
  async handle (ctx, session) {
    if (session.authorization === null) return { status: Status.NotAuthorized }
    await ctx.releaseAuthorization(session)
    return { status: Status.Ok }
  }
})
