import { createHash } from 'node:crypto'
import { createReadStream, statSync } from 'node:fs'
import { get, request } from 'node:http'
import WebSocket from 'ws'
import type { Identity } from '../load/messages.js'
import { rssBytes } from './proc.js'

/** PUTs a file from disk through the management API, streamed. */
export async function uploadFile (base: string, token: string, appId: number, name: string, path: string): Promise<void> {
  await new Promise<void>((resolve, reject) => {
    const req = request(`${base}/admin/v1/apps/${appId}/files/${encodeURIComponent(name)}`, {
      method: 'PUT',
      headers: { authorization: `Bearer ${token}`, 'content-type': 'application/octet-stream', 'content-length': String(statSync(path).size) }
    }, res => {
      let text = ''
      res.on('data', chunk => { text += String(chunk) })
      res.on('end', () => res.statusCode === 201 ? resolve() : reject(new Error(`upload answered ${res.statusCode}: ${text}`)))
    })
    req.on('error', reject)
    createReadStream(path).pipe(req)
  })
}

/** Initialize, Authorize, then packet 7 for `filename`: the presigned URL. */
export async function presignedUrl (wsUrl: string, identity: Identity, filename: string): Promise<string> {
  const ws = new WebSocket(wsUrl, { perMessageDeflate: false })
  const answers: Record<string, unknown>[] = []
  const waiting: ((m: Record<string, unknown>) => void)[] = []
  ws.on('message', data => {
    const m = JSON.parse(String(data)) as Record<string, unknown>
    const w = waiting.shift()
    if (w !== undefined) w(m)
    else answers.push(m)
  })
  await new Promise((resolve, reject) => { ws.once('open', resolve); ws.once('error', reject) })
  const ask = (packet: Record<string, unknown>): Promise<Record<string, unknown>> => {
    ws.send(JSON.stringify(packet))
    return new Promise(resolve => { const m = answers.shift(); if (m !== undefined) resolve(m); else waiting.push(resolve) })
  }
  try {
    await ask({ type: 0, id: 1, websocket_api_key: identity.apiKey, client_id: identity.clientId })
    await ask({ type: 2, id: 2, license: identity.license })
    const answer = await ask({ type: 7, id: 3, filename })
    if (answer.status !== 1) throw new Error(`packet 7 answered ${JSON.stringify(answer)}`)
    return answer.presigned_url as string
  } finally {
    ws.close()
  }
}

/** One GET read to its end; the body is counted (and hashed when asked), never kept. */
export function fetchBody (url: string, hash = false): Promise<{ bytes: number, sha256?: string }> {
  return new Promise((resolve, reject) => {
    get(url, res => {
      if (res.statusCode !== 200) {
        res.resume()
        reject(new Error(`GET answered ${res.statusCode}`))
        return
      }
      const digest = hash ? createHash('sha256') : undefined
      let bytes = 0
      res.on('data', (chunk: Buffer) => { bytes += chunk.length; digest?.update(chunk) })
      res.on('end', () => resolve({ bytes, sha256: digest?.digest('hex') }))
      res.on('error', reject)
    }).on('error', reject)
  })
}

export interface DownloadFigures {
  /** Bytes per second over all clients, from the first request to the last byte. */
  throughput: number
  seconds: number
  bytes: number
  /** The server's highest RSS while the downloads ran (sampled every 20 ms). */
  peakRss: number
}

/** `clients` downloads of `url` at once; every one must deliver `size` bytes. */
export async function parallelDownloads (url: string, clients: number, size: number, serverPid: number): Promise<DownloadFigures> {
  let peakRss = rssBytes(serverPid)
  const sampler = setInterval(() => { peakRss = Math.max(peakRss, rssBytes(serverPid)) }, 20)
  const started = performance.now()
  let results: { bytes: number }[]
  try {
    results = await Promise.all(Array.from({ length: clients }, () => fetchBody(url)))
  } finally {
    clearInterval(sampler)
  }
  const seconds = (performance.now() - started) / 1000
  peakRss = Math.max(peakRss, rssBytes(serverPid))
  for (const r of results) if (r.bytes !== size) throw new Error(`a download delivered ${r.bytes} of ${size} bytes`)
  const bytes = clients * size
  return { throughput: bytes / seconds, seconds, bytes, peakRss }
}
