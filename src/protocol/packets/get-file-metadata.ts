import { Type } from '@sinclair/typebox'
import { isFileName } from '../../files/names.js'
import { definePacket } from '../packet.js'
import { reply } from '../reply.js'
import { Text } from '../schema.js'
import { Status } from '../statuses.js'

const INVALID_NAME = reply(Status.FileInvalidName)
const NOT_FOUND = reply(Status.FileNotFound)

/** Type 9: a file's checksum, size and completed downloads; any initialized session may ask. */
export default definePacket({
  type: 9,
  name: 'get_file_metadata',
  requires: 'initialized',
  schema: Type.Object({ filename: Text() }),
  async handle (ctx, session, body) {
    if (body.filename.length < 4) return INVALID_NAME
    if (!isFileName(body.filename)) return NOT_FOUND
    const file = await ctx.repos.files.find(session.app.id, body.filename)
    if (file === undefined) return NOT_FOUND
    return reply(Status.Ok, {
      checksum: file.checksum,
      size: file.size,
      transfer_count: file.transfer_count,
      // Left out, not null, until the first completed download.
      last_transferred_at: file.last_transferred_at === null ? undefined : Math.floor(file.last_transferred_at.getTime() / 1000)
    })
  }
})
