/**
 * One WebSocket connection, over `ws` (Node) or a browser-style `WebSocket`. Only the
 * type of `ws` is imported statically; the module itself is loaded on first use, so a
 * browser bundle never needs it.
 */
import type WsWebSocket from 'ws'

export interface ConnectionHandlers {
  open: () => void
  message: (text: string) => void
  close: (code: number, reason: string) => void
  /** An error before the socket opened; `close` follows. */
  error: (err: Error) => void
  /** Any sign of life from the server (a frame, a ping, a pong). */
  activity: () => void
  /** The upgrade was refused with an HTTP status (429 comes with Retry-After seconds). */
  refused: (httpStatus: number, retryAfterS: number | undefined) => void
}

export interface Connection {
  /** The upgrade response's Resume-Id header (Node only). */
  readonly resumeId: string | undefined
  send: (text: string) => void
  close: (code: number, reason: string) => void
  /** Drops the TCP connection without a close frame. */
  terminate: () => void
  /** Sends a WebSocket ping; false where the platform cannot (browsers). */
  ping: () => boolean
}

export interface OpenOptions {
  url: string
  headers: Record<string, string>
  handshakeTimeoutMs: number
}

/** The subset of a browser `WebSocket` the client uses. */
export interface BrowserWebSocket {
  readonly readyState: number
  send: (data: string) => void
  close: (code?: number, reason?: string) => void
  addEventListener: (type: string, listener: (event: never) => void) => void
}

export type BrowserWebSocketConstructor = new (url: string) => BrowserWebSocket

export type Transport = (options: OpenOptions, handlers: ConnectionHandlers) => Promise<Connection>

let wsModule: Promise<typeof WsWebSocket> | undefined

/** `ws`, loaded once. */
async function loadWs (): Promise<typeof WsWebSocket> {
  wsModule ??= import('ws').then(m => m.default)
  return wsModule
}

export function isNode (): boolean {
  return typeof process !== 'undefined' && typeof process.versions?.node === 'string'
}

/** Node: `ws`, with request headers, the Resume-Id response header and pings. */
export const nodeTransport: Transport = async (options, handlers) => {
  const WebSocket = await loadWs()
  const ws = new WebSocket(options.url, {
    headers: options.headers,
    perMessageDeflate: false,
    handshakeTimeout: options.handshakeTimeoutMs
  })
  let resumeId: string | undefined
  let opened = false
  ws.on('upgrade', res => {
    const header = res.headers['resume-id']
    resumeId = typeof header === 'string' ? header : undefined
  })
  ws.on('unexpected-response', (_req, res) => {
    const retry = Number(res.headers['retry-after'])
    handlers.refused(res.statusCode ?? 0, Number.isFinite(retry) ? retry : undefined)
    res.resume()
    ws.terminate()
  })
  ws.on('open', () => { opened = true; handlers.activity(); handlers.open() })
  ws.on('message', (data, isBinary) => {
    handlers.activity()
    if (!isBinary) handlers.message(data.toString())
  })
  ws.on('ping', () => handlers.activity())
  ws.on('pong', () => handlers.activity())
  ws.on('error', err => { if (!opened) handlers.error(err) })
  ws.on('close', (code, reason) => handlers.close(code, reason.toString()))
  return {
    get resumeId () { return resumeId },
    send: text => ws.send(text),
    close: (code, reason) => ws.close(code, reason),
    terminate: () => ws.terminate(),
    ping: () => {
      if (ws.readyState === WebSocket.OPEN) ws.ping()
      return true
    }
  }
}

/** Browsers (and any runtime with a global WebSocket): no headers, no pings. */
export function browserTransport (WebSocketClass?: BrowserWebSocketConstructor): Transport {
  return async (options, handlers) => {
    const Ctor = WebSocketClass ?? (globalThis as unknown as { WebSocket?: BrowserWebSocketConstructor }).WebSocket
    if (Ctor === undefined) throw new Error('licensewire/client: no global WebSocket here; pass the WebSocket option')
    const ws = new Ctor(options.url)
    let opened = false
    ws.addEventListener('open', () => { opened = true; handlers.activity(); handlers.open() })
    ws.addEventListener('message', (event: { data: unknown }) => {
      handlers.activity()
      if (typeof event.data === 'string') handlers.message(event.data)
    })
    ws.addEventListener('error', () => { if (!opened) handlers.error(new Error(`cannot connect to ${options.url}`)) })
    ws.addEventListener('close', (event: { code: number, reason: string }) => handlers.close(event.code, event.reason))
    return {
      resumeId: undefined,
      send: text => ws.send(text),
      close: (code, reason) => ws.close(code, reason),
      // A browser cannot drop a connection without a close frame; 4999 is never a
      // code the server ends a session for, so the session is suspended, not ended.
      terminate: () => ws.close(4999, 'terminated by client'),
      ping: () => false
    }
  }
}
