import { Type } from '@sinclair/typebox'
import { definePacket } from '../packet.js'
import { reply } from '../reply.js'
import { Status } from '../statuses.js'

const OK = reply(Status.Ok)

/** Type 5: drops the authorization and its quota slot; the socket stays initialized. */
export default definePacket({
  type: 5,
  name: 'logout',
  requires: 'authorized',
  schema: Type.Object({}),
  async handle (ctx, session) {
    await ctx.releaseAuthorization(session)
    return OK
  }
})
