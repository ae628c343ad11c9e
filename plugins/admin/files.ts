import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox'
import { HttpError } from '../../src/admin/errors.js'
import { fileTooLarge, type FilesService } from '../../src/admin/files.js'
import { AppParams, Empty, File, FileBody, FileList, FileParams, errors } from '../../src/admin/schemas.js'

const tags = ['files']

/** An upload that sends nothing for this long is dropped, so it cannot hold its database connection. */
const UPLOAD_IDLE_MS = 30_000

const filesRoutes: FastifyPluginAsyncTypebox<{ files: FilesService, maxBytes: number }> = async (app, { files, maxBytes }) => {
  // Whatever its content-type, a body here is the file's bytes, and it reaches the
  // handler as the request stream itself: the service stores it a chunk at a time.
  // Fastify's body limit does not apply to a stream, so the declared length is
  // checked here and the bytes actually sent are counted by the service.
  app.removeAllContentTypeParsers()
  app.addContentTypeParser('*', (request, payload, done) => {
    if (Number(request.headers['content-length']) > maxBytes) done(fileTooLarge(maxBytes), undefined)
    else done(null, payload)
  })

  app.put('/apps/:appId/files/:name', {
    schema: {
      tags,
      summary: 'Upload a file, or replace the one of that name',
      description: 'The body is the file\'s bytes (send `content-type: application/octet-stream`). ' +
        'A replaced file keeps serving downloads already under way; its transfer counts start over.',
      params: FileParams,
      consumes: ['application/octet-stream'],
      body: FileBody,
      response: { 201: File, ...errors(400, 404, 409, 413) }
    }
  }, async (request, reply) => {
    const raw = request.raw
    raw.setTimeout(UPLOAD_IDLE_MS, () => raw.destroy(new HttpError(408, 'the upload sent nothing for 30 s')))
    const length = request.headers['content-length']
    const body = (request.body ?? []) as AsyncIterable<Buffer>
    let file
    try {
      file = await files.upload(request.params.appId, request.params.name, body, length === undefined ? undefined : Number(length))
    } catch (err) {
      // The rest of the body may still be on its way: do not wait for it.
      reply.header('connection', 'close')
      if (raw.destroyed && !(err instanceof HttpError)) throw new HttpError(400, 'the upload was cut off')
      throw err
    }
    return reply.code(201).send(file)
  })

  app.get('/apps/:appId/files', {
    schema: { tags, summary: 'List the app\'s files by name', params: AppParams, response: { 200: FileList, ...errors(400, 404) } }
  }, async request => ({ items: await files.list(request.params.appId) }))

  app.get('/apps/:appId/files/:name', {
    schema: { tags, summary: 'A file', params: FileParams, response: { 200: File, ...errors(400, 404) } }
  }, async request => files.get(request.params.appId, request.params.name))

  app.delete('/apps/:appId/files/:name', {
    schema: {
      tags,
      summary: 'Delete a file',
      description: 'Downloads already under way finish; its URLs answer 404 from now on.',
      params: FileParams,
      response: { 204: Empty, ...errors(400, 404) }
    }
  }, async (request, reply) => {
    await files.delete(request.params.appId, request.params.name)
    return reply.code(204).send()
  })
}

export default filesRoutes
