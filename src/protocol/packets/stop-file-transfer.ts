import { Type } from '@sinclair/typebox'
import { definePacket } from '../packet.js'
import { reply } from '../reply.js'
import { Text } from '../schema.js'
import { Status } from '../statuses.js'

const NOT_BEING_TRANSFERRED = reply(Status.FileNotBeingTransferred)

/** Type 8: files travel over HTTP (packet 7), never on the socket, so there is never a transfer to stop. */
export default definePacket({
  type: 8,
  name: 'stop_file_transfer',
  requires: 'initialized',
  schema: Type.Object({ filename: Text() }),
  handle: () => NOT_BEING_TRANSFERRED
})
