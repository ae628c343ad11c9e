import { Type } from '@sinclair/typebox'
import type { ValueWrite } from '../../session/values.js'
import { definePacket } from '../packet.js'
import { reply, type Reply } from '../reply.js'
import { Text } from '../schema.js'
import { Status } from '../statuses.js'

/** The default TTL and its cap: 72 hours. */
const MAX_TTL_S = 72 * 3600

const ANSWERS: Record<ValueWrite, Reply> = {
  stored: reply(Status.Ok),
  'too-many-entries': reply(Status.StoreOutOfEntries),
  'too-many-bytes': reply(Status.StoreOutOfMemory)
}

/** Type 12: stores a value in the session's own store; overwriting restarts its TTL. */
export default definePacket({
  type: 12,
  name: 'set_session_value',
  requires: 'initialized',
  schema: Type.Object({ key: Text(), value: Text(), ttl: Type.Integer() }),
  handle (ctx, session, body) {
    const seconds = body.ttl <= 0 || body.ttl > MAX_TTL_S ? MAX_TTL_S : body.ttl
    const now = ctx.now()
    return ANSWERS[session.setValue(body.key, body.value, now + seconds * 1000, now)]
  }
})
