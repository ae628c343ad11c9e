import { Type } from '@sinclair/typebox'
import { definePacket } from '../packet.js'
import { reply } from '../reply.js'
import { Status } from '../statuses.js'

const OK = reply(Status.Ok)

/** Type 17: whether this session receives panel events; idempotent. */
export default definePacket({
  type: 17,
  name: 'set_panel_events_subscription',
  requires: 'initialized',
  schema: Type.Object({ subscribed: Type.Boolean() }),
  handle (_ctx, session, body) {
    session.subscribe(body.subscribed)
    return OK
  }
})
