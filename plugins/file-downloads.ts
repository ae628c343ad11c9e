import rateLimit from '@fastify/rate-limit'
import type { FastifyInstance, FastifyReply } from 'fastify'
import { parseRange } from '../src/files/range.js'
import { fileStream } from '../src/files/stream.js'
import type { ResolvedOptions } from '../src/options.js'

/** A client that takes nothing for this long loses its download (and its slot). */
const STALL_MS = 30_000

function refuse (reply: FastifyReply, statusCode: number, error: string, message: string): FastifyReply {
  return reply.code(statusCode).send({ statusCode, error, message })
}

/**
 * GET {prefix}/files/<token> — the file a packet 7 URL names, from any instance.
 * Outside the admin auth and the upgrade limit, with a per-IP limit of its own and a
 * bound on the downloads this instance streams at once.
 */
export default async function licensewireFileDownloads (app: FastifyInstance, options: ResolvedOptions): Promise<void> {
  if (!app.hasDecorator('rateLimit')) await app.register(rateLimit, { global: false })
  const { files } = app.licensewireDb.repos
  const { urls, holdMs } = app.licensewireFiles
  let active = 0

  app.route<{ Params: { '*': string } }>({
    // HEAD by hand: Fastify's automatic one would answer content-length 0.
    method: ['GET', 'HEAD'],
    // Everything under /files/: a trailing slash or an extra segment is a 403 here
    // rather than a 404 elsewhere. Logs redact the token (src/log-redaction.ts).
    url: '/files/*',
    config: { rateLimit: { max: options.fileRateLimitMax, timeWindow: options.fileRateLimitWindowMs } },
    handler: async (request, reply) => {
      const verified = urls.verify(request.params['*'], Date.now())
      if ('refused' in verified) {
        return refuse(reply, 403, 'Forbidden', verified.refused === 'expired' ? 'the download URL has expired' : 'invalid download URL')
      }
      if (active >= options.fileDownloadsMax) {
        reply.header('retry-after', '1')
        return refuse(reply, 503, 'Service Unavailable', 'too many downloads at once; retry shortly')
      }
      active++
      reply.raw.once('close', () => { active-- })

      const { versionId } = verified
      const file = await files.download(versionId)
      if (file === undefined) return refuse(reply, 404, 'Not Found', 'the file was deleted or replaced; ask for a new URL')

      const etag = `"${file.checksum}"`
      // A Range meant for another version of the file than this one is ignored.
      const ifRange = request.headers['if-range']
      const asked = ifRange === undefined || ifRange === etag ? parseRange(request.headers.range, file.size) : undefined
      if (asked === 'unsatisfiable') {
        reply.header('content-range', `bytes */${file.size}`)
        return refuse(reply, 416, 'Range Not Satisfiable', `the file has ${file.size} bytes`)
      }
      reply.headers({
        'accept-ranges': 'bytes',
        etag,
        'cache-control': 'no-store',
        'content-type': 'application/octet-stream',
        'content-disposition': `attachment; filename="${file.name}"`
      })
      const range = asked ?? { start: 0, end: file.size - 1 }
      reply.code(asked === undefined ? 200 : 206)
      if (asked !== undefined) reply.header('content-range', `bytes ${range.start}-${range.end}/${file.size}`)
      reply.header('content-length', String(range.end - range.start + 1))
      if (request.method === 'HEAD') return reply.send()

      const res = reply.raw
      res.setTimeout(STALL_MS, () => res.destroy())
      // A download that outlasts a third of the hold renews it: the version's bytes
      // then stay, even if it is replaced or deleted meanwhile, until the last byte is out.
      const holding = setInterval(() => {
        files.hold(versionId, holdMs).catch(err => request.log.warn({ err }, 'renewing a file download hold failed'))
      }, holdMs / 3)
      res.once('close', () => clearInterval(holding))
      // Only a response that delivered the file's last byte counts as a completed download.
      if (range.end === file.size - 1) {
        res.once('finish', () => {
          files.transferred(versionId).catch(err => request.log.error({ err }, 'counting a file download failed'))
        })
      }
      return reply.send(fileStream(files, versionId, file.chunk_size, range))
    }
  })
}
