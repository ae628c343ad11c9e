/**
 * Example licensewire client: Initialize → Authorize by license → Get current license.
 *
 *   npm run client -- --api-key KEY --license LICENSE [--client-id ID] [--url ws://127.0.0.1:3000/ws]
 *
 * Each response is printed on stdout as the JSON the server sent; progress and errors go
 * to stderr. Exit codes: 0 every status was 1 (Ok); 1 some response had another status;
 * 2 the connection failed, the server closed it, or no answer came within 10 s;
 * 64 bad command line.
 */
import { parseArgs } from 'node:util'
import WebSocket from 'ws'

const TIMEOUT_MS = 10_000

const USAGE = `usage: npm run client -- --api-key KEY [--license LICENSE] [--client-id ID] [--url URL]

  --api-key KEY      the app's websocket_api_key (21 characters)             (required)
  --license LICENSE  a license key to authorize with; without it, only Initialize runs
  --client-id ID     this device's id, 4-64 characters       (default: example-device-1)
  --url URL          the server's WebSocket route      (default: ws://127.0.0.1:3000/ws)
  -h, --help         show this message`

/** Status names for the statuses these three packets can answer (docs/protocol.md §6). */
const STATUS_NAMES: Record<number, string> = {
  1: 'Ok',
  2: 'InvalidAPIKey',
  3: 'NotAuthorized',
  4: 'AlreadyInitialized',
  5: 'TooManyRequests',
  6: 'InternalServerError',
  7: 'AlreadyAuthorized',
  100: 'LicenseNotFound',
  101: 'LicenseTooShort',
  102: 'LicenseTooLong',
  103: 'LicenseExpired',
  104: 'LicensePaused',
  105: 'LicenseBlacklisted',
  106: 'LicenseAlreadyLinked',
  107: 'LicenseAlreadyActivated',
  500: 'ClientIDTooShort',
  501: 'ClientIDTooLong',
  502: 'ClientIDMismatch',
  503: 'ClientIDBlacklisted',
  600: 'AppNotFound',
  601: 'AppPaused',
  602: 'AppSessionsQuotaExceeded'
}

type Message = Record<string, unknown>

/** A failure that ends the run with the given exit code. */
class ClientError extends Error {
  constructor (message: string, readonly exitCode: number) {
    super(message)
  }
}

interface Pending {
  resolve: (message: Message) => void
  reject: (err: ClientError) => void
  timer: NodeJS.Timeout
}

/** One WebSocket connection; responses are matched to requests by `id`. */
class Connection {
  private readonly pending = new Map<number, Pending>()
  private failure: ClientError | undefined
  private closingByUs = false
  private readonly closed: Promise<void>

  private constructor (private readonly ws: WebSocket) {
    this.closed = new Promise(resolve => ws.once('close', () => resolve()))
    ws.on('message', (data, isBinary) => this.onMessage(data.toString(), isBinary))
    ws.on('close', (code, reason) => {
      if (this.closingByUs) return
      const text = reason.toString()
      this.fail(new ClientError(`server closed the connection: code ${code}${text === '' ? '' : ` "${text}"`}`, 2))
    })
    ws.on('error', err => this.fail(new ClientError(`connection error: ${err.message}`, 2)))
  }

  static open (url: string): Promise<Connection> {
    return new Promise((resolve, reject) => {
      let ws: WebSocket
      try {
        ws = new WebSocket(url, { perMessageDeflate: false, handshakeTimeout: TIMEOUT_MS })
      } catch (err) {
        reject(new ClientError(`cannot connect to ${url}: ${err instanceof Error ? err.message : String(err)}`, 2))
        return
      }
      const onError = (err: Error): void => {
        reject(new ClientError(`cannot connect to ${url}: ${err.message}`, 2))
      }
      ws.once('error', onError)
      ws.once('unexpected-response', (_request, response) => {
        const retry = response.headers['retry-after']
        reject(new ClientError(`cannot connect to ${url}: the server answered the upgrade with HTTP ${response.statusCode}` +
          (retry === undefined ? '' : ` (retry after ${retry} s)`), 2))
        ws.terminate()
      })
      ws.once('open', () => {
        ws.off('error', onError)
        resolve(new Connection(ws))
      })
    })
  }

  /** Sends one packet and waits for the response with the same id. */
  request (packet: { type: number, id: number } & Message): Promise<Message> {
    if (this.failure !== undefined) return Promise.reject(this.failure)
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => {
        this.pending.delete(packet.id)
        reject(new ClientError(`no response to packet type ${packet.type} (id ${packet.id}) within ${TIMEOUT_MS / 1000} s`, 2))
      }, TIMEOUT_MS)
      this.pending.set(packet.id, { resolve, reject, timer })
      this.ws.send(JSON.stringify(packet), err => {
        if (err !== undefined && err !== null) this.fail(new ClientError(`send failed: ${err.message}`, 2))
      })
    })
  }

  /** Closes with 1000 and waits (briefly) for the server's close frame. */
  async close (): Promise<void> {
    this.closingByUs = true
    if (this.ws.readyState === WebSocket.CLOSED) return
    if (this.ws.readyState !== WebSocket.CLOSING) this.ws.close(1000, 'done')
    let timer: NodeJS.Timeout | undefined
    await Promise.race([
      this.closed,
      new Promise<void>(resolve => { timer = setTimeout(() => { this.ws.terminate(); resolve() }, 2000) })
    ])
    clearTimeout(timer)
  }

  private onMessage (text: string, isBinary: boolean): void {
    let message: unknown
    try {
      message = isBinary ? undefined : JSON.parse(text)
    } catch {
      message = undefined
    }
    if (typeof message !== 'object' || message === null || Array.isArray(message)) {
      this.fail(new ClientError(`unexpected frame from the server: ${text.slice(0, 200)}`, 2))
      return
    }
    const m = message as Message
    if ('event_type' in m) {
      // A panel event (only sent to sessions that subscribed with type 17).
      console.error(`event ${String(m.event_type)}: ${JSON.stringify(m.content ?? null)}`)
      return
    }
    const id = typeof m.id === 'number' ? m.id : NaN
    const pending = this.pending.get(id)
    if (pending === undefined) {
      console.error(`ignoring a frame for no pending request: ${text}`)
      return
    }
    this.pending.delete(id)
    clearTimeout(pending.timer)
    console.log(text)
    pending.resolve(m)
  }

  private fail (err: ClientError): void {
    this.failure ??= err
    for (const [id, pending] of this.pending) {
      clearTimeout(pending.timer)
      this.pending.delete(id)
      pending.reject(this.failure)
    }
  }
}

function describe (status: unknown): string {
  if (typeof status !== 'number') return `no status (${JSON.stringify(status)})`
  return `status ${status} (${STATUS_NAMES[status] ?? 'unknown'})`
}

async function run (url: string, apiKey: string, clientId: string, license: string | undefined): Promise<number> {
  console.error(`connecting to ${url}`)
  const conn = await Connection.open(url)
  try {
    console.error(`→ Initialize (type 0) as client_id "${clientId}"`)
    const init = await conn.request({ type: 0, id: 1, websocket_api_key: apiKey, client_id: clientId })
    console.error(`← Initialize: ${describe(init.status)}`)
    if (init.status !== 1) return 1
    if (license === undefined) return 0

    console.error('→ Authorize by license (type 2)')
    const auth = await conn.request({ type: 2, id: 2, license })
    console.error(`← Authorize: ${describe(auth.status)}`)
    if (auth.status !== 1) return 1

    console.error('→ Get current license (type 15)')
    const current = await conn.request({ type: 15, id: 3 })
    console.error(`← Get current license: ${describe(current.status)}`)
    return current.status === 1 ? 0 : 1
  } finally {
    await conn.close()
  }
}

async function main (): Promise<number> {
  let values
  try {
    ({ values } = parseArgs({
      options: {
        url: { type: 'string', default: 'ws://127.0.0.1:3000/ws' },
        'api-key': { type: 'string' },
        'client-id': { type: 'string', default: 'example-device-1' },
        license: { type: 'string' },
        help: { type: 'boolean', short: 'h', default: false }
      },
      strict: true,
      allowPositionals: false
    }))
  } catch (err) {
    console.error(`${err instanceof Error ? err.message : String(err)}\n\n${USAGE}`)
    return 64
  }
  if (values.help) {
    console.log(USAGE)
    return 0
  }
  const apiKey = values['api-key']
  if (apiKey === undefined || apiKey === '') {
    console.error(`missing --api-key\n\n${USAGE}`)
    return 64
  }
  try {
    return await run(values.url, apiKey, values['client-id'], values.license)
  } catch (err) {
    if (err instanceof ClientError) {
      console.error(`error: ${err.message}`)
      return err.exitCode
    }
    console.error(err)
    return 2
  }
}

main().then(code => process.exit(code), err => {
  console.error(err)
  process.exit(2)
})
