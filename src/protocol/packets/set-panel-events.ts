import { Type } from '@sinclair/typebox'
import { definePacket } from '../packet.js'
import { Status } from '../statuses.js'

/** Type 17: whether this session receives panel events; idempotent. */
export default definePacket({
  type: 17,
  name: 'set_panel_events_subscription',
  schema: Type.Object({ subscribed: Type.Boolean() }),
  handle (_ctx, session, body) {
    session.subscribed = body.subscribed
    return { status: Status.Ok }
  }
})
