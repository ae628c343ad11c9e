import WebSocket from 'ws'

export interface Closed {
  code: number
  reason: string
}

/** A real `ws` client that queues what the server sends, for step-by-step assertions. */
export class TestClient {
  readonly messages: Record<string, unknown>[] = []
  readonly raw: string[] = []
  readonly closed: Promise<Closed>
  /** The upgrade response's Resume-Id header (docs/protocol.md §9). */
  resumeId: string | undefined
  private waiters: ((m: Record<string, unknown>) => void)[] = []
  private nextId = 1

  private constructor (readonly ws: WebSocket) {
    ws.on('message', data => {
      const text = data.toString()
      this.raw.push(text)
      const message = JSON.parse(text) as Record<string, unknown>
      const waiter = this.waiters.shift()
      if (waiter !== undefined) waiter(message)
      else this.messages.push(message)
    })
    this.closed = new Promise(resolve => ws.on('close', (code, reason) => resolve({ code, reason: reason.toString() })))
    ws.on('error', () => {})
    ws.on('upgrade', res => {
      const header = res.headers['resume-id']
      this.resumeId = typeof header === 'string' ? header : undefined
    })
  }

  /** `localAddress` connects from another loopback address (127.0.0.2, …), as another IP. */
  static async connect (url: string, headers: Record<string, string> = {}, localAddress?: string): Promise<TestClient> {
    const ws = new WebSocket(url, { headers, perMessageDeflate: false, ...(localAddress !== undefined ? { localAddress } : {}) })
    const client = new TestClient(ws)
    await new Promise<void>((resolve, reject) => {
      ws.once('open', () => resolve())
      ws.once('error', reject)
      ws.once('unexpected-response', (_req, res) => reject(new Error(`upgrade refused: HTTP ${res.statusCode}`)))
    })
    return client
  }

  sendRaw (data: string | Buffer, binary = false): void {
    this.ws.send(data, { binary })
  }

  /** Sends a packet; `id` is a counter unless given. Returns the id. */
  send (type: number, fields: Record<string, unknown> = {}, id = this.nextId++): number {
    this.ws.send(JSON.stringify({ type, id, ...fields }))
    return id
  }

  next (timeoutMs = 5000): Promise<Record<string, unknown>> {
    const queued = this.messages.shift()
    if (queued !== undefined) return Promise.resolve(queued)
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error('no message within timeout')), timeoutMs)
      this.waiters.push(m => { clearTimeout(timer); resolve(m) })
    })
  }

  async request (type: number, fields: Record<string, unknown> = {}, timeoutMs?: number): Promise<Record<string, unknown>> {
    this.send(type, fields)
    return this.next(timeoutMs)
  }

  async initialize (apiKey: string, clientId = 'device-0001'): Promise<Record<string, unknown>> {
    return this.request(0, { websocket_api_key: apiKey, client_id: clientId })
  }

  async authorize (license: string): Promise<Record<string, unknown>> {
    return this.request(2, { license })
  }

  close (): void {
    this.ws.close()
  }

  /** The connection breaks without a close frame (a network drop, as the server sees it). */
  drop (): void {
    this.ws.terminate()
  }

  /** A new socket that takes this one's session over with its Resume-Id. */
  async resume (url: string): Promise<TestClient> {
    if (this.resumeId === undefined) throw new Error('no Resume-Id to resume with')
    const next = await TestClient.connect(url, { 'Resume-Id': this.resumeId })
    next.nextId = this.nextId
    return next
  }

  async closeAndWait (): Promise<Closed> {
    this.ws.close()
    return this.closed
  }
}

export async function waitFor (check: () => Promise<boolean> | boolean, timeoutMs = 5000, stepMs = 25): Promise<void> {
  const deadline = Date.now() + timeoutMs
  while (Date.now() < deadline) {
    if (await check()) return
    await new Promise(resolve => setTimeout(resolve, stepMs))
  }
  throw new Error('condition not met in time')
}

/** `n` sockets, initialized in parallel with distinct client_ids, spread over `urls` in turn. */
export async function initializedClients (urls: string[], apiKey: string, n: number, prefix = 'device'): Promise<TestClient[]> {
  return Promise.all(Array.from({ length: n }, async (_, i) => {
    const c = await TestClient.connect(urls[i % urls.length]!)
    const r = await c.initialize(apiKey, `${prefix}-${String(i).padStart(4, '0')}`)
    if (r.status !== 1) throw new Error(`initialize of client ${i} answered ${JSON.stringify(r)}`)
    return c
  }))
}

/** Counts of each status. */
export function tally (replies: Record<string, unknown>[]): Record<number, number> {
  const counts: Record<number, number> = {}
  for (const r of replies) counts[r.status as number] = (counts[r.status as number] ?? 0) + 1
  return counts
}
