import { Type } from '@sinclair/typebox'
import { definePacket } from '../packet.js'
import { reply } from '../reply.js'
import { Text } from '../schema.js'
import { Status } from '../statuses.js'

const OK = reply(Status.Ok)
const NOT_FOUND = reply(Status.StoreValueNotFound)

/** Type 14: removes a value from the session's store. */
export default definePacket({
  type: 14,
  name: 'delete_session_value',
  requires: 'initialized',
  schema: Type.Object({ key: Text() }),
  handle (ctx, session, body) {
    return session.deleteValue(body.key, ctx.now()) ? OK : NOT_FOUND
  }
})
