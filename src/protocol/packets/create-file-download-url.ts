import { Type } from '@sinclair/typebox'
import { isFileName } from '../../files/names.js'
import { definePacket } from '../packet.js'
import { reply } from '../reply.js'
import { Text } from '../schema.js'
import { Status } from '../statuses.js'

const INVALID_NAME = reply(Status.FileInvalidName)
const NOT_FOUND = reply(Status.FileNotFound)
const INVALID_OFFSET = reply(Status.FileInvalidResumeOffset)

/**
 * Type 7: a short-lived URL the client fetches the file from over HTTP, on any
 * instance; nothing is streamed on the socket. `resume_at` is only checked here: the
 * client resumes with a `Range` header on the URL.
 */
export default definePacket({
  type: 7,
  name: 'create_file_download_url',
  requires: 'authorized',
  schema: Type.Object({ filename: Text(), resume_at: Type.Optional(Type.Integer()) }),
  async handle (ctx, session, body) {
    if (body.filename.length < 4) return INVALID_NAME
    // No file can have a name that breaks the rules: no need to look.
    if (!isFileName(body.filename)) return NOT_FOUND
    const file = await ctx.repos.files.find(session.app.id, body.filename)
    if (file === undefined) return NOT_FOUND
    const resumeAt = body.resume_at ?? 0
    if (resumeAt < 0 || (file.size > 0 && resumeAt >= file.size)) return INVALID_OFFSET
    return reply(Status.Ok, {
      presigned_url: ctx.fileUrls.url(session.origin, file.version_id, ctx.now()),
      file_size: file.size,
      file_checksum: file.checksum
    })
  }
})
