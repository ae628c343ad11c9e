import { createHash } from 'node:crypto'
import { TOKEN, type Answer } from './admin.js'
import type { TestClient } from './client.js'
import type { TestServer } from './server.js'

export const sha256 = (bytes: Uint8Array): string => createHash('sha256').update(bytes).digest('hex')

/** PUT the bytes as a file; `body` may be a stream (sent chunked, without a content-length). */
export async function putFile (server: TestServer, appId: number, name: string, body: Uint8Array | ReadableStream<Uint8Array>, headers: Record<string, string> = {}): Promise<Answer> {
  const res = await fetch(`${server.url}/admin/v1/apps/${appId}/files/${encodeURIComponent(name)}`, {
    method: 'PUT',
    headers: { authorization: `Bearer ${TOKEN}`, 'content-type': 'application/octet-stream', ...headers },
    body,
    duplex: 'half'
  } as RequestInit)
  const text = await res.text()
  return { status: res.status, body: text === '' ? undefined : JSON.parse(text), headers: res.headers }
}

export interface Download {
  status: number
  headers: Headers
  body: Buffer
}

export async function download (url: string, headers: Record<string, string> = {}, method = 'GET'): Promise<Download> {
  const res = await fetch(url, { method, headers })
  return { status: res.status, headers: res.headers, body: Buffer.from(await res.arrayBuffer()) }
}

/** Packet 7's answer for `filename`, asserting it is Ok. */
export async function downloadUrl (client: TestClient, filename: string): Promise<string> {
  const answer = await client.request(7, { filename })
  if (answer.status !== 1) throw new Error(`packet 7 answered ${JSON.stringify(answer)}`)
  return answer.presigned_url as string
}

/** Bytes that differ at every position from a shifted copy of themselves, so a wrong offset shows. */
export function pattern (size: number, seed = 1): Buffer {
  const out = Buffer.allocUnsafe(size)
  let x = seed
  for (let i = 0; i < size; i++) {
    x = (x * 1103515245 + 12345) & 0x7fffffff
    out[i] = x >>> 16
  }
  return out
}
