import { Type } from '@sinclair/typebox'
import { definePacket } from '../packet.js'
import { reply } from '../reply.js'
import { Text } from '../schema.js'
import { Status } from '../statuses.js'

const NOT_FOUND = reply(Status.StoreValueNotFound)

/** Type 13: a live value of the session's store; reading does not extend its TTL. */
export default definePacket({
  type: 13,
  name: 'get_session_value',
  requires: 'initialized',
  schema: Type.Object({ key: Text() }),
  handle (ctx, session, body) {
    const value = session.value(body.key, ctx.now())
    return value === undefined ? NOT_FOUND : reply(Status.Ok, { value })
  }
})
