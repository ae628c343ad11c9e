import { AUTHORIZATION_DROPPING_EVENTS, PacketType } from './constants.js'
import { ClosedError, InvalidArgumentError, StatusError, TimeoutError } from './errors.js'
import { Emitter, type ClientEvents } from './emitter.js'
import { downloadFile, type DownloadOptions, type DownloadResult } from './download.js'
import {
  browserTransport, isNode, nodeTransport, type BrowserWebSocketConstructor, type Connection, type Transport
} from './transport.js'
import { bounded, checkCredentialsType, checkInteger, checkString } from './validate.js'

/** Initialize's answer (type 0). */
export interface AppInfo {
  app_name: string
  app_version: string
}

/** The license payload of types 2 and 15. */
export interface LicenseInfo {
  license: string
  levels: Record<string, unknown>
  comment: string | null
  ip_address?: string
  /** Seconds remaining; on the Authorize that activated the license, the Unix expiry (docs/protocol.md type 2). */
  time_left?: number
  /** A signed lease, when the app has signed leases on (verify it with verifyLease). */
  lease?: string
}

/** The account payload of types 3 and 16. */
export interface AccountInfo {
  login: string
  levels: Record<string, unknown>
  comment: string | null
  ip_address?: string
  time_left?: number
  license_required: boolean
  lease?: string
}

export interface FileDownloadUrl {
  presigned_url: string
  file_size: number
  file_checksum: string
}

export interface FileMetadata {
  checksum: string
  size: number
  transfer_count: number
  last_transferred_at?: number
}

export interface ReconnectOptions {
  /** Upper bound of the first delay, ms (default 250). Delays are full-jitter: random in [0, bound]. */
  initialDelayMs?: number
  /** The bound doubles per attempt up to this, ms (default 30,000). */
  maxDelayMs?: number
  /** Attempts before giving up with a `close` (default Infinity). */
  maxAttempts?: number
}

export interface KeepAliveOptions {
  /** Nothing heard from the server for this long: send a ping (default 30,000 ms). */
  pingAfterMs?: number
  /** Nothing heard for this long: the connection is dead; drop it and reconnect (default 60,000 ms). */
  deadAfterMs?: number
}

export interface LicenseClientOptions {
  /** The server's WebSocket route, e.g. `wss://licenses.example.com/ws`. */
  url: string
  /** The app's `websocket_api_key` (21 characters). */
  apiKey: string
  /** This device's id, 4–64 characters, stable across runs. */
  clientId: string
  /**
   * Resume a dropped session with its Resume-Id (docs/protocol.md §9) instead of
   * starting over. Node only: browsers cannot send the header (default true).
   */
  resume?: boolean
  /** Reconnect after a drop (default true); an object tunes the backoff. */
  reconnect?: boolean | ReconnectOptions
  /** Detect a dead server (Node only; default on); false turns it off. */
  keepAlive?: boolean | KeepAliveOptions
  /** A request not answered within this is rejected with TimeoutError (default 30,000 ms). */
  requestTimeoutMs?: number
  /** WebSocket handshake timeout (Node only; default 10,000 ms). */
  connectTimeoutMs?: number
  /** The server's MAX_PAYLOAD_BYTES: bigger frames are refused before sending (default 16,384). */
  maxFrameBytes?: number
  /** Extra request headers of the upgrade (Node only). */
  headers?: Record<string, string>
  /**
   * `'ws'` (Node, the default there) or `'browser'` (the global WebSocket, or the
   * `WebSocket` option; the default where there is no Node).
   */
  transport?: 'ws' | 'browser'
  /** A browser-style WebSocket class for the `'browser'` transport. */
  WebSocket?: BrowserWebSocketConstructor
}

export interface AuthorizeByLicenseOptions {
  /** Copied into the lease (signed leases only), at most 128 characters. */
  nonce?: string
}

export interface AuthorizeByCredentialsOptions {
  /** 0: a login (the default), 1: an e-mail address. */
  credentialsType?: 0 | 1
  /** A license to link to the account on the way. */
  license?: string
  nonce?: string
}

export interface CreateAccountOptions {
  credentialsType?: 0 | 1
  license?: string
  comment?: string
}

type Message = Record<string, unknown>

interface Pending {
  id: number
  type: number
  frame: string
  /** Sent by the client itself while (re)starting a session: never re-sent. */
  internal: boolean
  /** The connection generation it was last sent on (0: not yet). */
  sentOn: number
  resolve: (message: Message) => void
  reject: (err: Error) => void
  timer: ReturnType<typeof setTimeout>
}

type State = 'idle' | 'connecting' | 'open' | 'reconnecting' | 'closed'

interface Authorization {
  type: 2 | 3
  fields: Message
}

/** Close codes after which the client reconnects (every other one is final). */
const RECONNECT_CODES = new Set([1001, 1006, 1011, 1012, 1013, 1014, 4000])
const RESUME_REFUSED = new Set([4400, 4401])
/** Initialize statuses worth another attempt while reconnecting: 6 InternalServerError, 602 quota. */
const TRANSIENT_INITIALIZE = new Set([6, 602])

const encoder = new TextEncoder()

function strip (message: Message): Message {
  const { id: _id, status: _status, ...fields } = message
  return fields
}

/**
 * A licensewire client: one session over one WebSocket, reconnecting and resuming as
 * docs/client.md describes.
 */
export class LicenseClient {
  private readonly options: Required<Pick<LicenseClientOptions, 'url' | 'apiKey' | 'clientId' | 'requestTimeoutMs' | 'connectTimeoutMs' | 'maxFrameBytes'>> & { headers: Record<string, string> }
  private readonly transport: Transport
  private readonly resumeEnabled: boolean
  private readonly reconnectOptions: Required<ReconnectOptions> | undefined
  private readonly keepAlive: Required<KeepAliveOptions> | undefined
  private readonly events = new Emitter<ClientEvents>()
  private state: State = 'idle'
  private conn: Connection | undefined
  private gen = 0
  /** Whether user calls may be written on the current connection. */
  private ready = false
  private nextId = 1
  private readonly pending = new Map<number, Pending>()
  private resumeId: string | undefined
  /** Whether the session of `resumeId` may be resumed (false once refused, or after a 4000). */
  private resumable = false
  private authorization: Authorization | undefined
  private subscribed = false
  /** Resolves a resuming connection's fate: its first frame, or its close. */
  private resumeWaiter: ((outcome: { code: number, reason: string } | 'resumed') => void) | undefined
  private connClosed: ((c: { code: number, reason: string }) => void) | undefined
  private wake: (() => void) | undefined
  private lastActivity = 0
  private pinged = false
  private keepAliveTimer: ReturnType<typeof setInterval> | undefined
  private retryAfterMs = 0
  private openFailure: string | undefined
  private closedWith: { code: number, reason: string } | undefined
  /** The app as the last Initialize answered it. */
  app: AppInfo | undefined

  constructor (options: LicenseClientOptions) {
    checkString('url', options.url, 1)
    bounded('apiKey', options.apiKey)
    bounded('clientId', options.clientId)
    const useWs = (options.transport ?? (isNode() && options.WebSocket === undefined ? 'ws' : 'browser')) === 'ws'
    this.transport = useWs ? nodeTransport : browserTransport(options.WebSocket)
    this.options = {
      url: options.url,
      apiKey: options.apiKey,
      clientId: options.clientId,
      requestTimeoutMs: options.requestTimeoutMs ?? 30_000,
      connectTimeoutMs: options.connectTimeoutMs ?? 10_000,
      maxFrameBytes: options.maxFrameBytes ?? 16_384,
      headers: { ...options.headers }
    }
    this.resumeEnabled = useWs && (options.resume ?? true)
    const reconnect = options.reconnect ?? true
    this.reconnectOptions = reconnect === false
      ? undefined
      : { initialDelayMs: 250, maxDelayMs: 30_000, maxAttempts: Infinity, ...(reconnect === true ? {} : reconnect) }
    const keepAlive = options.keepAlive ?? true
    this.keepAlive = keepAlive === false || !useWs
      ? undefined
      : { pingAfterMs: 30_000, deadAfterMs: 60_000, ...(keepAlive === true ? {} : keepAlive) }
  }

  // ---------------------------------------------------------------- events

  on<E extends keyof ClientEvents> (event: E, listener: ClientEvents[E]): this {
    this.events.on(event, listener)
    return this
  }

  off<E extends keyof ClientEvents> (event: E, listener: ClientEvents[E]): this {
    this.events.off(event, listener)
    return this
  }

  /** Whether the client holds an open, usable session right now. */
  get connected (): boolean {
    return this.state === 'open'
  }

  // ---------------------------------------------------------------- packets

  /** Opens the socket and Initializes (type 0). */
  async connect (): Promise<AppInfo> {
    if (this.state === 'connecting' || this.state === 'open' || this.state === 'reconnecting') {
      throw new Error('licensewire/client: connect() was called already')
    }
    this.state = 'connecting'
    this.authorization = undefined
    this.subscribed = false
    try {
      await this.open(false)
      const app = await this.initialize()
      if (this.state !== 'connecting') throw new ClosedError(1000, 'closed by client')
      this.adoptResumeId()
      this.state = 'open'
      this.ready = true
      this.flush()
      return app
    } catch (err) {
      if (this.state === 'connecting') {
        this.conn?.close(1000, '')
        if (err instanceof ClosedError) this.finish(err.code, err.reason, err)
        else this.finish(1000, '', err)
      }
      throw err
    }
  }

  /** Type 1: creates an account; does not authorize. */
  async createAccount (login: string, password: string, options: CreateAccountOptions = {}): Promise<void> {
    const fields: Message = {
      login: bounded('login', login),
      password: bounded('password', password),
      credentials_type: checkCredentialsType(options.credentialsType ?? 0)
    }
    if (options.license !== undefined) fields.license = bounded('license', options.license)
    if (options.comment !== undefined) fields.comment = bounded('comment', options.comment)
    await this.call(PacketType.CreateAccount, fields)
  }

  /** Type 2: authorizes with a license key. */
  async authorizeByLicense (license: string, options: AuthorizeByLicenseOptions = {}): Promise<LicenseInfo> {
    const fields: Message = { license: bounded('license', license) }
    if (options.nonce !== undefined) fields.nonce = bounded('nonce', options.nonce)
    return await this.call(PacketType.AuthorizeByLicense, fields) as unknown as LicenseInfo
  }

  /** Type 3: authorizes with an account's login and password. */
  async authorizeByCredentials (login: string, password: string, options: AuthorizeByCredentialsOptions = {}): Promise<AccountInfo> {
    const fields: Message = {
      login: bounded('login', login),
      password: bounded('password', password),
      credentials_type: checkCredentialsType(options.credentialsType ?? 0)
    }
    if (options.license !== undefined) fields.license = bounded('license', options.license)
    if (options.nonce !== undefined) fields.nonce = bounded('nonce', options.nonce)
    return await this.call(PacketType.AuthorizeByCredentials, fields) as unknown as AccountInfo
  }

  /** Type 4: links a license to the session's account. */
  async linkLicense (license: string): Promise<void> {
    await this.call(PacketType.LinkLicense, { license: bounded('license', license) })
  }

  /** Type 5: gives the authorization (and its quota slot) back. */
  async logout (): Promise<void> {
    await this.call(PacketType.Logout, {})
  }

  /** Type 6: blacklists this device (and its license or account); the server then closes with 4203. */
  async blacklist (comment?: string): Promise<void> {
    await this.call(PacketType.Blacklist, comment === undefined ? {} : { comment: bounded('comment', comment) })
  }

  /** Type 7: a short-lived download URL for one of the app's files. */
  async fileDownloadUrl (filename: string, options: { resumeAt?: number } = {}): Promise<FileDownloadUrl> {
    const fields: Message = { filename: bounded('filename', filename) }
    if (options.resumeAt !== undefined) fields.resume_at = checkInteger('resumeAt', options.resumeAt, 0)
    return await this.call(PacketType.FileDownloadUrl, fields) as unknown as FileDownloadUrl
  }

  /**
   * Type 8, for completeness: files never travel on the socket, so there is no transfer
   * to stop and the server always answers 305 (this rejects with that StatusError). To
   * stop a download, abort `downloadFile` with its `signal`.
   */
  async stopFileTransfer (filename: string): Promise<void> {
    await this.call(PacketType.StopFileTransfer, { filename: bounded('filename', filename) })
  }

  /** Type 9: the file's checksum, size and download count. */
  async fileMetadata (filename: string): Promise<FileMetadata> {
    return await this.call(PacketType.FileMetadata, { filename: bounded('filename', filename) }) as unknown as FileMetadata
  }

  /** Type 10: initialized sessions of the app, on every instance. */
  async onlineUsersCount (): Promise<number> {
    return (await this.call(PacketType.OnlineUsersCount, {})).online_users_count as number
  }

  /** Type 11: an app variable's content. */
  async getVariable (name: string): Promise<string> {
    return (await this.call(PacketType.GetVariable, { name: bounded('variable', name, 'name') })).content as string
  }

  /** Type 12: stores a session value; `ttlSeconds` ≤ 0 means 72 hours (the most). */
  async setValue (key: string, value: string, ttlSeconds = 0): Promise<void> {
    await this.call(PacketType.SetValue, {
      key: checkString('key', key),
      value: checkString('value', value),
      ttl: checkInteger('ttlSeconds', ttlSeconds)
    })
  }

  /** Type 13: a live session value. */
  async getValue (key: string): Promise<string> {
    return (await this.call(PacketType.GetValue, { key: checkString('key', key) })).value as string
  }

  /** Type 14: removes a session value. */
  async deleteValue (key: string): Promise<void> {
    await this.call(PacketType.DeleteValue, { key: checkString('key', key) })
  }

  /** Type 15: the session's license as it is now. */
  async getCurrentLicense (options: { nonce?: string } = {}): Promise<LicenseInfo> {
    const fields: Message = options.nonce === undefined ? {} : { nonce: bounded('nonce', options.nonce) }
    return await this.call(PacketType.GetCurrentLicense, fields) as unknown as LicenseInfo
  }

  /** Type 16: the session's account as it is now. */
  async getCurrentAccount (options: { nonce?: string } = {}): Promise<AccountInfo> {
    const fields: Message = options.nonce === undefined ? {} : { nonce: bounded('nonce', options.nonce) }
    return await this.call(PacketType.GetCurrentAccount, fields) as unknown as AccountInfo
  }

  /** Type 17: receive (or stop receiving) server-pushed events as `panelEvent`. */
  async subscribePanelEvents (subscribed = true): Promise<void> {
    if (typeof subscribed !== 'boolean') throw new InvalidArgumentError('subscribed', 'must be a boolean')
    await this.call(PacketType.PanelEventsSubscription, { subscribed })
  }

  /**
   * Downloads one of the app's files over HTTP (type 7's URL), resuming from
   * `resumeAt` with a Range request, and checks the SHA-256 of the whole file.
   */
  async downloadFile (filename: string, options: DownloadOptions = {}): Promise<DownloadResult> {
    return downloadFile(resumeAt => this.fileDownloadUrl(filename, { resumeAt }), options)
  }

  /**
   * Ends the session: closes with 1000, so the server frees its slot at once instead of
   * keeping it for a resume. Pending calls reject with ClosedError; `close` is emitted.
   */
  async close (): Promise<void> {
    if (this.state === 'idle' || this.state === 'closed') return
    const conn = this.conn
    const closed = new Promise<void>(resolve => {
      const prev = this.connClosed
      this.connClosed = c => { prev?.(c); resolve() }
    })
    this.finish(1000, 'closed by client')
    // A socket still opening is closed as soon as it opens.
    this.gen++
    if (conn === undefined) return
    conn.close(1000, '')
    let timer: ReturnType<typeof setTimeout> | undefined
    await Promise.race([closed, new Promise<void>(resolve => { timer = setTimeout(() => { conn.terminate(); resolve() }, 2000) })])
    clearTimeout(timer)
  }

  // ---------------------------------------------------------------- requests

  /** A user call: queued while reconnecting, re-sent after a resume, resolves the fields of an Ok. */
  private async call (type: number, fields: Message): Promise<Message> {
    if (this.state === 'idle') throw new Error('licensewire/client: call connect() first')
    if (this.state === 'closed') {
      const { code, reason } = this.closedWith ?? { code: 1000, reason: '' }
      throw new ClosedError(code, reason, `the client is closed (code ${code}${reason === '' ? '' : ` "${reason}"`})`)
    }
    const message = await this.roundTrip(type, fields, false)
    this.track(type, fields, message)
    return strip(message)
  }

  /** Sends a packet and waits for its answer; rejects with StatusError unless it is Ok. */
  private roundTrip (type: number, fields: Message, internal: boolean): Promise<Message> {
    const id = this.nextId++
    const frame = JSON.stringify({ type, id, ...fields })
    const bytes = encoder.encode(frame).length
    if (bytes > this.options.maxFrameBytes) {
      return Promise.reject(new InvalidArgumentError('request', `the frame would be ${bytes} bytes, over the server's limit of ${this.options.maxFrameBytes}`))
    }
    return new Promise<Message>((resolve, reject) => {
      const timer = setTimeout(() => {
        this.pending.delete(id)
        reject(new TimeoutError(`no answer to packet type ${type} (id ${id}) within ${this.options.requestTimeoutMs} ms`))
      }, this.options.requestTimeoutMs)
      const entry: Pending = {
        id,
        type,
        frame,
        internal,
        sentOn: 0,
        timer,
        reject,
        resolve: message => {
          if (message.status === 1) resolve(message)
          else reject(new StatusError(type, message))
        }
      }
      this.pending.set(id, entry)
      if (internal || this.ready) this.write(entry)
    })
  }

  private write (entry: Pending): void {
    if (this.conn === undefined) return
    entry.sentOn = this.gen
    this.events.emit('frame', { direction: 'out', text: entry.frame })
    this.conn.send(entry.frame)
  }

  /** Writes every user call not yet sent on this connection, oldest first. */
  private flush (): void {
    for (const entry of [...this.pending.values()].sort((a, b) => a.id - b.id)) {
      if (!entry.internal && entry.sentOn !== this.gen) this.write(entry)
    }
  }

  /** What an Ok changes about the session the client would rebuild after a restart. */
  private track (type: number, fields: Message, _answer: Message): void {
    if (type === PacketType.AuthorizeByLicense || type === PacketType.AuthorizeByCredentials) {
      this.authorization = { type, fields }
    } else if (type === PacketType.Logout) {
      this.authorization = undefined
    } else if (type === PacketType.PanelEventsSubscription) {
      this.subscribed = fields.subscribed === true
    }
  }

  // ---------------------------------------------------------------- connection

  /** Opens a connection (with the last Resume-Id when `resume`); resolves once it is open. */
  private open (resume: boolean): Promise<void> {
    const gen = ++this.gen
    this.openFailure = undefined
    const headers = { ...this.options.headers }
    if (resume && this.resumeId !== undefined) headers['Resume-Id'] = this.resumeId
    return new Promise<void>((resolve, reject) => {
      let opened = false
      let conn: Connection | undefined
      const onOpen = (): void => {
        if (gen !== this.gen || conn === undefined) {
          conn?.close(1000, '')
          reject(new ClosedError(1000, 'closed by client'))
          return
        }
        opened = true
        this.conn = conn
        this.startKeepAlive()
        resolve()
      }
      this.transport({ url: this.options.url, headers, handshakeTimeoutMs: this.options.connectTimeoutMs }, {
        open: () => { if (conn === undefined) queueMicrotask(onOpen); else onOpen() },
        message: text => { if (gen === this.gen) this.onMessage(text) },
        activity: () => { if (gen === this.gen) { this.lastActivity = Date.now(); this.pinged = false } },
        error: err => { this.openFailure ??= err.message },
        refused: (status, retryAfterS) => {
          this.openFailure = `the server answered the upgrade with HTTP ${status}`
          if (retryAfterS !== undefined) this.retryAfterMs = retryAfterS * 1000
        },
        close: (code, reason) => {
          if (!opened) {
            reject(new ClosedError(code, reason, `cannot connect to ${this.options.url}: ${this.openFailure ?? `closed with ${code}`}`))
            return
          }
          const notify = this.connClosed
          this.connClosed = undefined
          notify?.({ code, reason })
          if (gen === this.gen) this.onClose(code, reason)
        }
      }).then(c => { conn = c }, reject)
    })
  }

  private onMessage (text: string): void {
    this.events.emit('frame', { direction: 'in', text })
    let message: unknown
    try {
      message = JSON.parse(text)
    } catch {
      return
    }
    if (typeof message !== 'object' || message === null || Array.isArray(message)) return
    const m = message as Message
    if (this.resumeWaiter !== undefined) {
      const waiter = this.resumeWaiter
      this.resumeWaiter = undefined
      waiter('resumed')
    }
    if ('event_type' in m) {
      const eventType = Number(m.event_type)
      if (AUTHORIZATION_DROPPING_EVENTS.has(eventType)) this.authorization = undefined
      const content = typeof m.content === 'object' && m.content !== null ? m.content as Record<string, unknown> : {}
      this.events.emit('panelEvent', { event_type: eventType, content })
      return
    }
    if (typeof m.id !== 'number') return
    const entry = this.pending.get(m.id)
    if (entry === undefined) return
    this.pending.delete(m.id)
    clearTimeout(entry.timer)
    entry.resolve(m)
  }

  private onClose (code: number, reason: string): void {
    this.stopKeepAlive()
    this.conn = undefined
    this.ready = false
    // Calls the client made to (re)start a session belong to that connection.
    for (const [id, entry] of this.pending) {
      if (!entry.internal) continue
      this.pending.delete(id)
      clearTimeout(entry.timer)
      entry.reject(new ClosedError(code, reason))
    }
    if (this.resumeWaiter !== undefined) {
      const waiter = this.resumeWaiter
      this.resumeWaiter = undefined
      waiter({ code, reason })
      return
    }
    // connect() and a reconnection in progress handle their own closes.
    if (this.state !== 'open') return
    if (this.reconnectOptions !== undefined && RECONNECT_CODES.has(code)) {
      this.state = 'reconnecting'
      void this.recover(code, reason)
    } else {
      this.finish(code, reason)
    }
  }

  /** Reconnects: resumes when it can, else starts over (Initialize, the last authorization). */
  private async recover (code: number, reason: string): Promise<void> {
    const options = this.reconnectOptions!
    // A 4000 close was on purpose: the session was not suspended.
    if (code === 4000) this.resumable = false
    let lastCode = code
    let lastReason = reason
    for (let attempt = 1; ; attempt++) {
      if (this.state !== 'reconnecting') return
      if (attempt > options.maxAttempts) {
        this.finish(lastCode, lastReason, new Error(`gave up reconnecting after ${options.maxAttempts} attempts`))
        return
      }
      const bound = Math.min(options.maxDelayMs, options.initialDelayMs * 2 ** (attempt - 1))
      const delayMs = Math.max(Math.round(Math.random() * bound), this.retryAfterMs)
      this.retryAfterMs = 0
      this.events.emit('reconnecting', { attempt, delayMs, code: lastCode, reason: lastReason })
      await new Promise<void>(resolve => {
        const timer = setTimeout(resolve, delayMs)
        this.wake = () => { clearTimeout(timer); resolve() }
      })
      this.wake = undefined
      if (this.state !== 'reconnecting') return
      try {
        if (this.resumeEnabled && this.resumable) {
          const outcome = await this.tryResume()
          if (this.state !== 'reconnecting') return
          if (outcome === 'resumed') {
            if (this.conn === undefined) throw new ClosedError(1006, '')
            this.adoptResumeId()
            this.state = 'open'
            this.events.emit('resumed', { attempt })
            return
          }
          if (!RESUME_REFUSED.has(outcome.code)) throw new ClosedError(outcome.code, outcome.reason)
          // Refused: the session is gone. Start over at once.
          this.resumable = false
        }
        await this.open(false)
        const restarted = await this.restart()
        if (this.state !== 'reconnecting') return
        if (this.conn === undefined) throw new ClosedError(1006, '')
        this.adoptResumeId()
        this.state = 'open'
        this.ready = true
        this.flush()
        this.events.emit('restarted', restarted)
        return
      } catch (err) {
        if (this.state !== 'reconnecting') return
        if (err instanceof StatusError) {
          this.conn?.close(1000, '')
          // A full app (it may be our own suspended session that fills it) or a server
          // error may pass; anything else means the app or this device may not start a
          // session any more (paused, deleted, blacklisted, …).
          if (err.type === PacketType.Initialize && TRANSIENT_INITIALIZE.has(err.status)) continue
          this.finish(1000, '', err)
          return
        }
        if (err instanceof ClosedError) {
          lastCode = err.code
          lastReason = err.reason
          if (err.code >= 4000 && !RECONNECT_CODES.has(err.code) && !RESUME_REFUSED.has(err.code)) {
            this.finish(err.code, err.reason, err)
            return
          }
        }
        // Otherwise the server is unreachable, or did not answer in time: try again
        // (a dropped connection, not a close: a resumable session stays resumable).
        if (!(err instanceof ClosedError)) this.conn?.terminate()
      }
    }
  }

  /** One resume attempt: open with Resume-Id, re-send unanswered calls, wait for the first frame. */
  private async tryResume (): Promise<'resumed' | { code: number, reason: string }> {
    const outcome = new Promise<'resumed' | { code: number, reason: string }>(resolve => { this.resumeWaiter = resolve })
    try {
      await this.open(true)
    } catch (err) {
      this.resumeWaiter = undefined
      throw err
    }
    this.ready = true
    this.flush()
    // With nothing to re-send, a packet with no effect (Stop file transfer: always 305,
    // no database) shows whether the session came back.
    if (![...this.pending.values()].some(e => !e.internal)) {
      this.roundTrip(PacketType.StopFileTransfer, { filename: 'resume-probe' }, true).catch(() => {})
    }
    const result = await outcome
    if (result !== 'resumed') this.ready = false
    return result
  }

  /** A new session on the current connection: Initialize, the last authorization, the subscription. */
  private async restart (): Promise<{ app: AppInfo, authorization?: LicenseInfo | AccountInfo, error?: StatusError }> {
    const app = await this.initialize()
    const result: { app: AppInfo, authorization?: LicenseInfo | AccountInfo, error?: StatusError } = { app }
    const authorizing = [...this.pending.values()].some(e => !e.internal &&
      (e.type === PacketType.AuthorizeByLicense || e.type === PacketType.AuthorizeByCredentials))
    if (this.authorization !== undefined && !authorizing) {
      try {
        result.authorization = strip(await this.roundTrip(this.authorization.type, this.authorization.fields, true)) as unknown as LicenseInfo | AccountInfo
      } catch (err) {
        if (!(err instanceof StatusError)) throw err
        this.authorization = undefined
        result.error = err
      }
    }
    if (this.subscribed) await this.roundTrip(PacketType.PanelEventsSubscription, { subscribed: true }, true)
    return result
  }

  private async initialize (): Promise<AppInfo> {
    const answer = await this.roundTrip(PacketType.Initialize, { websocket_api_key: this.options.apiKey, client_id: this.options.clientId }, true)
    this.app = strip(answer) as unknown as AppInfo
    return this.app
  }

  /**
   * The current connection's Resume-Id becomes the one to resume with, once the
   * connection holds the whole session (resumed, or initialized and re-authorized): a
   * connection refused at once (a draining server closes new ones with 1001) must not
   * replace the token of the session's last one, and a half-rebuilt session is not
   * worth resuming. None when the server has resumption off.
   */
  private adoptResumeId (): void {
    if (this.conn === undefined) return
    this.resumeId = this.conn.resumeId
    this.resumable = this.resumeId !== undefined
  }

  /** The end: no more reconnecting; pending calls reject with ClosedError; `close` is emitted. */
  private finish (code: number, reason: string, cause?: unknown): void {
    if (this.state === 'closed') return
    this.state = 'closed'
    this.closedWith = { code, reason }
    this.authorization = undefined
    this.ready = false
    this.stopKeepAlive()
    this.wake?.()
    const waiter = this.resumeWaiter
    this.resumeWaiter = undefined
    waiter?.({ code, reason })
    const err = new ClosedError(code, reason, undefined, cause === undefined ? undefined : { cause })
    for (const [id, entry] of this.pending) {
      this.pending.delete(id)
      clearTimeout(entry.timer)
      entry.reject(err)
    }
    this.events.emit('close', { code, reason, ...(cause === undefined ? {} : { error: cause }) })
  }

  // ---------------------------------------------------------------- keep-alive

  private startKeepAlive (): void {
    this.stopKeepAlive()
    const keepAlive = this.keepAlive
    if (keepAlive === undefined) return
    this.lastActivity = Date.now()
    this.pinged = false
    const tick = Math.max(20, Math.min(keepAlive.pingAfterMs, keepAlive.deadAfterMs) / 5)
    this.keepAliveTimer = setInterval(() => {
      const conn = this.conn
      if (conn === undefined) return
      const idle = Date.now() - this.lastActivity
      if (idle >= keepAlive.deadAfterMs) {
        this.stopKeepAlive()
        conn.terminate()
      } else if (idle >= keepAlive.pingAfterMs && !this.pinged) {
        this.pinged = true
        conn.ping()
      }
    }, tick)
    const timer = this.keepAliveTimer as { unref?: () => void }
    timer.unref?.()
  }

  private stopKeepAlive (): void {
    if (this.keepAliveTimer !== undefined) clearInterval(this.keepAliveTimer)
    this.keepAliveTimer = undefined
  }
}
