import { ChecksumError, DownloadError, InvalidArgumentError } from './errors.js'
import { isNode } from './transport.js'
import type { FileDownloadUrl } from './client.js'

export interface DownloadOptions {
  /**
   * The bytes already held from an earlier, interrupted download of this file (its
   * first `resumeAt` bytes): an array, or an async iterable such as a Node read
   * stream. They are hashed, not fetched again.
   */
  held?: Uint8Array | AsyncIterable<Uint8Array>
  /** Where to resume: the number of bytes held (default: `held`'s length, else 0). */
  resumeAt?: number
  /**
   * The checksum the download began with: if the server's file has another (it was
   * replaced), the download fails with ChecksumError before fetching anything.
   */
  checksum?: string
  /** Receives each new chunk as it arrives; `data` is then left out of the result. */
  onData?: (chunk: Uint8Array) => void | Promise<void>
  /** Aborts the HTTP request. */
  signal?: AbortSignal
}

export interface DownloadResult {
  /** The whole file (held bytes included), unless `onData` took the chunks. */
  data?: Uint8Array
  size: number
  /** SHA-256 of the whole file, 64 lowercase hex digits, checked. */
  checksum: string
  /** The byte the transfer started from (0 for a whole download). */
  resumedAt: number
}

interface Hasher {
  update: (chunk: Uint8Array) => void
  digest: () => Promise<string>
}

async function sha256 (): Promise<Hasher> {
  if (isNode()) {
    const { createHash } = await import('node:crypto')
    const hash = createHash('sha256')
    return { update: chunk => { hash.update(chunk) }, digest: async () => hash.digest('hex') }
  }
  // Web Crypto has no incremental hash: keep the bytes and hash them at the end.
  const chunks: Uint8Array[] = []
  return {
    update: chunk => { chunks.push(chunk) },
    digest: async () => {
      const digest = await globalThis.crypto.subtle.digest('SHA-256', concat(chunks))
      return [...new Uint8Array(digest)].map(b => b.toString(16).padStart(2, '0')).join('')
    }
  }
}

function concat (chunks: Uint8Array[]): Uint8Array {
  const out = new Uint8Array(chunks.reduce((n, c) => n + c.length, 0))
  let at = 0
  for (const c of chunks) { out.set(c, at); at += c.length }
  return out
}

async function collect (held: Uint8Array | AsyncIterable<Uint8Array>): Promise<Uint8Array[]> {
  if (held instanceof Uint8Array) return [held]
  const chunks: Uint8Array[] = []
  for await (const chunk of held) chunks.push(chunk)
  return chunks
}

/** docs/protocol.md §7 Files: type 7's URL, fetched with Range from `resumeAt`, SHA-256 checked. */
export async function downloadFile (
  url: (resumeAt: number) => Promise<FileDownloadUrl>, options: DownloadOptions
): Promise<DownloadResult> {
  const heldChunks = options.held === undefined ? [] : await collect(options.held)
  const heldLength = heldChunks.reduce((n, c) => n + c.length, 0)
  const resumeAt = options.resumeAt ?? heldLength
  if (!Number.isSafeInteger(resumeAt) || resumeAt < 0) throw new InvalidArgumentError('resumeAt', `must be an integer ≥ 0, got ${resumeAt}`)
  if (resumeAt > 0 && heldLength !== resumeAt) {
    throw new InvalidArgumentError('held', `resuming at ${resumeAt} needs the ${resumeAt} bytes held (to check the whole file's SHA-256), got ${heldLength}`)
  }
  const info = await url(resumeAt)
  if (options.checksum !== undefined && options.checksum !== info.file_checksum) {
    throw new ChecksumError('the file was replaced since the download began: start over', options.checksum, info.file_checksum)
  }
  const headers: Record<string, string> = resumeAt > 0 ? { range: `bytes=${resumeAt}-` } : {}
  const res = await fetch(info.presigned_url, { headers, ...(options.signal === undefined ? {} : { signal: options.signal }) })
  let from = 0
  if (res.status === 206) {
    const range = /^bytes (\d+)-/.exec(res.headers.get('content-range') ?? '')
    from = range === null ? NaN : Number(range[1])
    if (from !== resumeAt) throw new DownloadError(`the server sent a range from ${String(range?.[1])}, not ${resumeAt}`, 206)
  } else if (res.status !== 200) {
    await res.body?.cancel()
    throw new DownloadError(`download of ${info.presigned_url.replace(/\/files\/.*/, '/files/…')} answered HTTP ${res.status}`, res.status)
  }
  const hasher = await sha256()
  const data: Uint8Array[] = []
  // A 200 to a Range request is the whole file: the held bytes are not part of it.
  if (from > 0) {
    for (const chunk of heldChunks) {
      hasher.update(chunk)
      if (options.onData === undefined) data.push(chunk)
    }
  }
  let size = from
  if (res.body !== null) {
    const reader = res.body.getReader()
    while (true) {
      const { done, value } = await reader.read()
      if (done) break
      size += value.length
      hasher.update(value)
      if (options.onData === undefined) data.push(value)
      else await options.onData(value)
    }
  }
  const checksum = await hasher.digest()
  if (size !== info.file_size) throw new ChecksumError(`the file has ${size} bytes, the server said ${info.file_size}`, info.file_checksum, checksum)
  if (checksum !== info.file_checksum) throw new ChecksumError('the SHA-256 of the downloaded file does not match', info.file_checksum, checksum)
  return {
    ...(options.onData === undefined ? { data: concat(data) } : {}),
    size,
    checksum,
    resumedAt: from
  }
}
