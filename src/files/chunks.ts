/**
 * Bytes per stored chunk. A download holds about two of them per response, an upload
 * one; larger chunks mean fewer queries. Each version records the size it was cut
 * to, so this can change without touching stored files.
 */
export const CHUNK_BYTES = 512 * 1024

/** Re-cuts a stream of buffers of any size into buffers of exactly `size` bytes, the last one shorter. */
export async function * fixedChunks (pieces: AsyncIterable<Buffer>, size: number): AsyncGenerator<Buffer> {
  let chunk = Buffer.allocUnsafe(size)
  let filled = 0
  for await (const piece of pieces) {
    let offset = 0
    while (offset < piece.length) {
      const copied = piece.copy(chunk, filled, offset)
      filled += copied
      offset += copied
      if (filled === size) {
        yield chunk
        chunk = Buffer.allocUnsafe(size)
        filled = 0
      }
    }
  }
  if (filled > 0) yield chunk.subarray(0, filled)
}
