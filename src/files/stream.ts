import { Readable } from 'node:stream'
import type { FilesRepository } from '../repositories/files.js'
import type { ByteRange } from './range.js'

/**
 * The bytes `range` of a file version, read one chunk per query as the response
 * drains: the response's backpressure paces the reads, and at most one chunk is read
 * ahead of what the socket has taken, however large the file.
 */
export function fileStream (files: FilesRepository, versionId: number, chunkSize: number, range: ByteRange): Readable {
  async function * chunks (): AsyncGenerator<Buffer> {
    const last = Math.floor(range.end / chunkSize)
    for (let seq = Math.floor(range.start / chunkSize); seq <= last; seq++) {
      const data = await files.chunk(versionId, seq)
      if (data === undefined) throw new Error(`chunk ${seq} of file version ${versionId} is gone`)
      const at = seq * chunkSize
      yield data.subarray(Math.max(0, range.start - at), Math.min(data.length, range.end - at + 1))
    }
  }
  return Readable.from(chunks(), { objectMode: false, highWaterMark: 1 })
}
