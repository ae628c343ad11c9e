import { createHash } from 'node:crypto'
import { CHUNK_BYTES, fixedChunks } from '../files/chunks.js'
import type { FileRow } from '../repositories/files.js'
import { appNotFound, requireApp, type AdminContext } from './context.js'
import { HttpError, conflict, notFound } from './errors.js'
import type { FileJson } from './schemas.js'
import { fileJson } from './views.js'

export const fileTooLarge = (maxBytes: number): HttpError => new HttpError(413, `a file may have at most ${maxBytes} bytes`)
const storageFull = (appId: number): HttpError => conflict(`the file would take app ${appId} over its file_storage_limit_mib`)
const fileNotFound = (): HttpError => notFound('file not found')

export class FilesService {
  constructor (private readonly ctx: AdminContext, private readonly maxBytes: number) {}

  /**
   * Streams `body` into a new version of the file, in one transaction: its SHA-256 is
   * computed on the way, nothing is held beyond one chunk, and the file's name points
   * at it only once every byte is stored. A failure at any point leaves nothing.
   * `declaredLength` (the content-length, when sent) lets a hopeless upload be refused
   * before its first byte.
   */
  async upload (appId: number, name: string, body: AsyncIterable<Buffer>, declaredLength?: number): Promise<FileJson> {
    const room = await this.ctx.repos.files.room(appId, name)
    if (room === undefined) throw appNotFound(appId)
    if (declaredLength !== undefined && declaredLength > this.maxBytes) throw fileTooLarge(this.maxBytes)
    if (declaredLength !== undefined && declaredLength > room) throw storageFull(appId)

    const hash = createHash('sha256')
    let size = 0
    const maxBytes = this.maxBytes
    async function * measured (): AsyncGenerator<Buffer> {
      for await (const piece of body) {
        size += piece.length
        if (size > maxBytes) throw fileTooLarge(maxBytes)
        hash.update(piece)
        yield piece
      }
    }

    const upload = await this.ctx.repos.files.beginUpload(appId, CHUNK_BYTES)
    try {
      for await (const chunk of fixedChunks(measured(), CHUNK_BYTES)) await upload.write(chunk)
      const file = await upload.publish(name, size, hash.digest('hex'))
      if (file === undefined) throw storageFull(appId)
      return fileJson(file)
    } finally {
      await upload.abort()
    }
  }

  async list (appId: number): Promise<FileJson[]> {
    await requireApp(this.ctx.repos, appId)
    return (await this.ctx.repos.files.list(appId)).map(fileJson)
  }

  async get (appId: number, name: string): Promise<FileJson> {
    return fileJson(await this.find(appId, name))
  }

  /** A download already streaming finishes; the URL stops working for new requests (404). */
  async delete (appId: number, name: string): Promise<void> {
    if (await this.ctx.repos.files.remove(appId, name)) return
    await requireApp(this.ctx.repos, appId)
    throw fileNotFound()
  }

  private async find (appId: number, name: string): Promise<FileRow> {
    const file = await this.ctx.repos.files.find(appId, name)
    if (file !== undefined) return file
    await requireApp(this.ctx.repos, appId)
    throw fileNotFound()
  }
}
