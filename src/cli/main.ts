#!/usr/bin/env node
import { createReadStream, realpathSync } from 'node:fs'
import { stat } from 'node:fs/promises'
import { fileURLToPath } from 'node:url'
import { parseArgs } from 'node:util'

const INTRO = 'licensewire — the management API from the command line\n'

const OPTIONS_HELP = `Options:
  --url URL      server base URL, with the plugin prefix if any
                 (env LICENSEWIRE_URL, default http://127.0.0.1:3000)
  --token T      admin token (env LICENSEWIRE_TOKEN, else ADMIN_TOKEN)
  --json         print the server's JSON instead of a table
  -h, --help     this text

A --password on the command line is visible to other users of this machine (ps);
prefer an empty shell history and a machine of your own, or the management API.
`

const OPTIONS = {
  url: { type: 'string' },
  token: { type: 'string' },
  json: { type: 'boolean', default: false },
  help: { type: 'boolean', short: 'h', default: false },
  name: { type: 'string' },
  version: { type: 'string' },
  'session-limit': { type: 'string' },
  'blacklist-limit': { type: 'string' },
  'file-storage-limit-mib': { type: 'string' },
  'signed-leases': { type: 'string' },
  protected: { type: 'boolean' },
  unprotected: { type: 'boolean' },
  app: { type: 'string' },
  count: { type: 'string' },
  duration: { type: 'string' },
  levels: { type: 'string' },
  comment: { type: 'string' },
  state: { type: 'string' },
  'accounts-limit': { type: 'string' },
  'accounts-require-license': { type: 'string' },
  login: { type: 'string' },
  password: { type: 'string' },
  email: { type: 'boolean', default: false },
  'requires-license': { type: 'string' },
  license: { type: 'string', multiple: true },
  q: { type: 'string' }
} as const

type Options = ReturnType<typeof parseArgs<{ options: typeof OPTIONS, allowPositionals: true }>>['values']
type Json = Record<string, unknown>

/** A mistake in the command line: exit code 2 with the usage hint. */
class UsageError extends Error {}
/** The server (or the network) said no: exit code 1 with its message. */
class RequestError extends Error {
  /** The HTTP status, when the server answered. */
  constructor (message: string, readonly status?: number) {
    super(message)
  }
}

interface Output {
  json: unknown
  /** The human-readable form; nothing for a 204. */
  text?: string
}

export interface Io {
  env: NodeJS.ProcessEnv
  out: (text: string) => void
  err: (text: string) => void
  /** Where a progress bar is drawn (a terminal's stderr); none when absent. */
  progress?: (text: string) => void
}

/** Files smaller than this upload without a progress bar. */
const PROGRESS_FROM_BYTES = 1024 * 1024
const MiB = (bytes: number): string => (bytes / 1048576).toFixed(1)

/** A bar redrawn in place on one line: at most once per whole percent. */
function progressBar (draw: (text: string) => void, total: number): (sent: number) => void {
  let shown = -1
  return sent => {
    const percent = Math.floor((sent / total) * 100)
    if (percent === shown) return
    shown = percent
    const filled = Math.round(percent / 5)
    draw(`\r[${'#'.repeat(filled)}${'-'.repeat(20 - filled)}] ${String(percent).padStart(3)}%  ${MiB(sent)} / ${MiB(total)} MiB${sent >= total ? '\n' : ''}`)
  }
}

class Api {
  constructor (private readonly base: string, private readonly token: string) {}

  async call (method: string, path: string, body?: unknown): Promise<unknown> {
    const headers: Record<string, string> = { authorization: `Bearer ${this.token}` }
    if (body !== undefined) headers['content-type'] = 'application/json'
    return this.send(method, path, { method, headers, body: body === undefined ? undefined : JSON.stringify(body) })
  }

  /** PUTs a file straight from disk, a piece at a time, telling `sent` how far it got. */
  async upload (path: string, file: string, sent?: (bytes: number) => void): Promise<unknown> {
    let size: number
    try {
      size = (await stat(file)).size
    } catch (err) {
      throw new UsageError(`cannot read ${file}: ${(err as Error).message}`)
    }
    let done = 0
    async function * pieces (): AsyncGenerator<Buffer> {
      for await (const piece of createReadStream(file) as AsyncIterable<Buffer>) {
        done += piece.length
        sent?.(done)
        yield piece
      }
    }
    const headers = { authorization: `Bearer ${this.token}`, 'content-type': 'application/octet-stream', 'content-length': String(size) }
    // fetch takes an async iterable body as a stream (undici), which the DOM types do not know.
    return this.send('PUT', path, { method: 'PUT', headers, body: pieces() as unknown as RequestInit['body'], duplex: 'half' } as RequestInit)
  }

  private async send (method: string, path: string, init: RequestInit): Promise<unknown> {
    let res: Response
    try {
      res = await fetch(`${this.base}/admin/v1${path}`, init)
    } catch (err) {
      const cause = err instanceof Error && err.cause instanceof Error ? err.cause.message : String(err)
      throw new RequestError(`cannot reach ${this.base}: ${cause}`)
    }
    const text = await res.text()
    let json: unknown
    try {
      json = text === '' ? null : JSON.parse(text)
    } catch {
      json = undefined
    }
    if (!res.ok) {
      const message = typeof json === 'object' && json !== null && typeof (json as Json).message === 'string' ? (json as Json).message : text.slice(0, 200)
      throw new RequestError(`HTTP ${res.status}: ${String(message)}`, res.status)
    }
    if (json === undefined) throw new RequestError(`HTTP ${res.status}: the server did not answer JSON`)
    return json
  }
}

function cell (value: unknown): string {
  if (value === null || value === undefined) return '-'
  if (typeof value === 'object') return JSON.stringify(value)
  return String(value)
}

/** Columns padded to their widest cell, headed by the field names. */
export function table (rows: Json[], columns: string[]): string {
  if (rows.length === 0) return '(none)'
  const cells = [columns.map(c => c.toUpperCase()), ...rows.map(row => columns.map(c => cell(row[c])))]
  const widths = columns.map((_, i) => Math.max(...cells.map(r => r[i]!.length)))
  return cells.map(r => r.map((c, i) => i === r.length - 1 ? c : c.padEnd(widths[i]!)).join('  ')).join('\n')
}

/** One object as aligned `field  value` lines. */
export function record (row: Json): string {
  const width = Math.max(...Object.keys(row).map(k => k.length))
  return Object.entries(row).map(([k, v]) => `${k.padEnd(width)}  ${cell(v)}`).join('\n')
}

const APP_COLUMNS = ['id', 'name', 'version', 'paused', 'session_limit', 'websocket_api_key']
const LICENSE_COLUMNS = ['key', 'state', 'expires_at', 'duration_seconds', 'client_id', 'levels', 'comment']
const VARIABLE_COLUMNS = ['name', 'protected', 'updated_at', 'content']
const FILE_COLUMNS = ['name', 'size', 'checksum', 'transfer_count', 'last_transferred_at', 'created_at']

/** A variable's content on one table line: control characters escaped, cut at 60 characters. */
function preview (content: string): string {
  const line = JSON.stringify(content).slice(1, -1)
  return line.length > 60 ? `${line.slice(0, 59)}…` : line
}

const ACCOUNT_COLUMNS = ['id', 'login', 'requires_license', 'blacklisted_at', 'time_left', 'licenses', 'last_login_at', 'comment']

const items = (json: unknown): Json[] => (json as { items: Json[] }).items

function need (value: string | undefined, flag: string): string {
  if (value === undefined || value === '') throw new UsageError(`${flag} is required`)
  return value
}

function int (value: string | undefined, flag: string): number | undefined {
  if (value === undefined) return undefined
  // A negative number goes to the server, whose validation names the field's range.
  if (!/^-?\d+$/.test(value)) throw new UsageError(`${flag} must be a whole number, got "${value}"`)
  return Number(value)
}

function bool (value: string | undefined, flag: string): boolean | undefined {
  if (value === undefined) return undefined
  if (value !== 'true' && value !== 'false') throw new UsageError(`${flag} must be true or false, got "${value}"`)
  return value === 'true'
}

function positional (args: string[], index: number, name: string): string {
  const value = args[index]
  if (value === undefined) throw new UsageError(`${name} is missing`)
  if (args.length > index + 1) throw new UsageError(`unexpected argument "${args[index + 1]}"`)
  return value
}

function appId (o: Options): string {
  const id = need(o.app, '--app')
  if (!/^\d+$/.test(id)) throw new UsageError(`--app must be an app id (a number), got "${id}"`)
  return id
}

function accountId (value: string | undefined): string {
  if (value === undefined) throw new UsageError('ACCOUNT_ID is missing')
  if (!/^\d+$/.test(value)) throw new UsageError(`ACCOUNT_ID must be a number, got "${value}"`)
  return value
}

/** A management API route as `METHOD /path`, with `:name` parameters (prefix /admin/v1 left out). */
export type Route = `${'GET' | 'POST' | 'PATCH' | 'PUT' | 'DELETE'} /${string}`

interface Context {
  /** The positionals, the command's words included. */
  args: string[]
  o: Options
  io: Io
  /** Calls one of the command's own routes, its `:name` parameters filled from `params`. */
  call: (route: Route, params?: Params, body?: unknown, query?: URLSearchParams) => Promise<unknown>
  upload: (route: Route, params: Params, file: string, sent?: (bytes: number) => void) => Promise<unknown>
}

type Params = Record<string, string | number>

export interface Command {
  /** What is typed: `apps create`. */
  words: string[]
  /** The rest of its usage line. */
  usage: string
  /** Every route it may call; it can call no other (so the completeness test is true). */
  routes: Route[]
  run: (c: Context) => Promise<Output>
}

const withRecord = (json: unknown): Output => ({ json, text: record(json as Json) })

/** The numeric ID positional at `index`, named `name` in messages. */
function numeric (args: string[], index: number, name: string): string {
  const id = positional(args, index, name)
  if (!/^\d+$/.test(id)) throw new UsageError(`${name} must be a number, got "${id}"`)
  return id
}

function levels (raw: string | undefined): unknown {
  if (raw === undefined) return undefined
  try {
    return JSON.parse(raw)
  } catch {
    throw new UsageError('--levels must be a JSON object, e.g. \'{"tier":"pro"}\'')
  }
}

/** Every page of a keyset-paginated list, so the table is the whole list. */
async function allPages (c: Context, route: Route, params: Params, filters: Record<string, string | undefined>): Promise<Json[]> {
  const all: Json[] = []
  let cursor: string | null = null
  do {
    const query = new URLSearchParams({ limit: '500' })
    for (const [k, v] of Object.entries(filters)) if (v !== undefined) query.set(k, v)
    if (cursor !== null) query.set('cursor', cursor)
    const page = await c.call(route, params, undefined, query) as { items: Json[], next_cursor: string | null }
    all.push(...page.items)
    cursor = page.next_cursor
  } while (cursor !== null)
  return all
}

/** The settings flags of apps create and apps update, as the API's body. */
function appSettings (o: Options): Json {
  return {
    name: o.name,
    version: o.version,
    session_limit: int(o['session-limit'], '--session-limit'),
    blacklist_limit: int(o['blacklist-limit'], '--blacklist-limit'),
    accounts_limit: int(o['accounts-limit'], '--accounts-limit'),
    accounts_require_license: bool(o['accounts-require-license'], '--accounts-require-license'),
    file_storage_limit_mib: int(o['file-storage-limit-mib'], '--file-storage-limit-mib'),
    signed_leases: bool(o['signed-leases'], '--signed-leases')
  }
}
const APP_FLAGS = '[--version V] [--session-limit N] [--blacklist-limit N] [--accounts-limit N]\n    [--accounts-require-license true|false] [--file-storage-limit-mib N] [--signed-leases true|false]'

const LICENSE = '/apps/:appId/licenses/:key'
const licenseParams = (c: Context): Params => ({ appId: appId(c.o), key: positional(c.args, 2, 'license KEY') })

/** POST …/licenses/:key/<action>: one command each, the body as the action needs. */
function licenseAction (action: string, usage: string, body: (o: Options) => unknown): Command {
  const route: Route = `POST ${LICENSE}/${action}`
  return {
    words: ['licenses', action],
    usage: `--app ID KEY${usage}`,
    routes: [route],
    run: async c => {
      const params = licenseParams(c)
      return withRecord(await c.call(route, params, body(c.o)))
    }
  }
}

const ACCOUNT = '/apps/:appId/accounts/:accountId'
const accountParams = (c: Context): Params => ({ appId: appId(c.o), accountId: accountId(positional(c.args, 2, 'ACCOUNT_ID')) })

/**
 * Every command, in the order --help lists them. The help is made from this table,
 * and test/admin-cli.test.ts checks that the routes here are exactly the API's.
 */
export const COMMANDS: Command[] = [
  {
    words: ['apps', 'create'],
    usage: `--name N ${APP_FLAGS}`,
    routes: ['POST /apps'],
    run: async c => {
      positional(c.args, 1, 'command')
      return withRecord(await c.call('POST /apps', {}, { ...appSettings(c.o), name: need(c.o.name, '--name') }))
    }
  },
  {
    words: ['apps', 'list'],
    usage: '',
    routes: ['GET /apps'],
    run: async c => {
      positional(c.args, 1, 'command')
      const json = await c.call('GET /apps')
      return { json, text: table(items(json), APP_COLUMNS) }
    }
  },
  {
    words: ['apps', 'get'],
    usage: 'ID',
    routes: ['GET /apps/:appId'],
    run: async c => withRecord(await c.call('GET /apps/:appId', { appId: numeric(c.args, 2, 'app ID') }))
  },
  {
    words: ['apps', 'update'],
    usage: `ID [--name N] ${APP_FLAGS}`,
    routes: ['PATCH /apps/:appId'],
    run: async c => withRecord(await c.call('PATCH /apps/:appId', { appId: numeric(c.args, 2, 'app ID') }, appSettings(c.o)))
  },
  {
    words: ['apps', 'pause'],
    usage: 'ID',
    routes: ['PATCH /apps/:appId'],
    run: async c => withRecord(await c.call('PATCH /apps/:appId', { appId: numeric(c.args, 2, 'app ID') }, { paused: true }))
  },
  {
    words: ['apps', 'unpause'],
    usage: 'ID',
    routes: ['PATCH /apps/:appId'],
    run: async c => withRecord(await c.call('PATCH /apps/:appId', { appId: numeric(c.args, 2, 'app ID') }, { paused: false }))
  },
  {
    words: ['apps', 'rotate-key'],
    usage: 'ID   (the old websocket_api_key stops working)',
    routes: ['POST /apps/:appId/rotate-key'],
    run: async c => withRecord(await c.call('POST /apps/:appId/rotate-key', { appId: numeric(c.args, 2, 'app ID') }))
  },
  {
    words: ['apps', 'delete'],
    usage: 'ID   (its licenses, accounts, files and live sessions go with it)',
    routes: ['DELETE /apps/:appId'],
    run: async c => {
      const id = numeric(c.args, 2, 'app ID')
      await c.call('DELETE /apps/:appId', { appId: id })
      return { json: null, text: `app ${id} deleted` }
    }
  },
  {
    words: ['licenses', 'create'],
    usage: '--app ID --duration 30d [--count N] [--levels JSON] [--comment C]',
    routes: ['POST /apps/:appId/licenses'],
    run: async c => {
      const params = { appId: appId(c.o) }
      positional(c.args, 1, 'command')
      const body = { count: int(c.o.count, '--count'), duration: need(c.o.duration, '--duration'), levels: levels(c.o.levels), comment: c.o.comment }
      const json = await c.call('POST /apps/:appId/licenses', params, body)
      return { json, text: table(items(json), LICENSE_COLUMNS) }
    }
  },
  {
    words: ['licenses', 'list'],
    usage: '--app ID [--state available|active|expired|paused|blacklisted]',
    routes: ['GET /apps/:appId/licenses'],
    run: async c => {
      const params = { appId: appId(c.o) }
      positional(c.args, 1, 'command')
      const all = await allPages(c, 'GET /apps/:appId/licenses', params, { state: c.o.state })
      return { json: { items: all, next_cursor: null }, text: table(all, LICENSE_COLUMNS) }
    }
  },
  {
    words: ['licenses', 'get'],
    usage: '--app ID KEY',
    routes: [`GET ${LICENSE}`],
    run: async c => withRecord(await c.call(`GET ${LICENSE}`, licenseParams(c)))
  },
  {
    words: ['licenses', 'update'],
    usage: '--app ID KEY [--levels JSON] [--comment C]',
    routes: [`PATCH ${LICENSE}`],
    run: async c => {
      const params = licenseParams(c)
      return withRecord(await c.call(`PATCH ${LICENSE}`, params, { levels: levels(c.o.levels), comment: c.o.comment }))
    }
  },
  {
    words: ['licenses', 'delete'],
    usage: '--app ID KEY',
    routes: [`DELETE ${LICENSE}`],
    run: async c => {
      const params = licenseParams(c)
      await c.call(`DELETE ${LICENSE}`, params)
      return { json: null, text: `license ${params.key} deleted` }
    }
  },
  ...['pause', 'unpause', 'unblacklist', 'reset-client', 'reinitialize'].map(action => licenseAction(action, '', () => undefined)),
  licenseAction('blacklist', ' [--comment C]', o => ({ comment: o.comment })),
  licenseAction('extend', ' --duration D', o => ({ duration: need(o.duration, '--duration') })),
  {
    words: ['blacklist', 'list'],
    usage: '--app ID',
    routes: ['GET /apps/:appId/blacklist'],
    run: async c => {
      const params = { appId: appId(c.o) }
      positional(c.args, 1, 'command')
      const json = await c.call('GET /apps/:appId/blacklist', params)
      return { json, text: table(items(json), ['client_id', 'source', 'comment', 'created_at']) }
    }
  },
  {
    words: ['blacklist', 'add'],
    usage: '--app ID CLIENT_ID [--comment C]',
    routes: ['POST /apps/:appId/blacklist'],
    run: async c => {
      const params = { appId: appId(c.o) }
      const clientId = positional(c.args, 2, 'CLIENT_ID')
      return withRecord(await c.call('POST /apps/:appId/blacklist', params, { client_id: clientId, comment: c.o.comment }))
    }
  },
  {
    words: ['blacklist', 'remove'],
    usage: '--app ID CLIENT_ID',
    routes: ['DELETE /apps/:appId/blacklist/:clientId'],
    run: async c => {
      const params = { appId: appId(c.o), clientId: positional(c.args, 2, 'CLIENT_ID') }
      await c.call('DELETE /apps/:appId/blacklist/:clientId', params)
      return { json: null, text: `client id ${params.clientId} is no longer blacklisted` }
    }
  },
  {
    words: ['variables', 'list'],
    usage: '--app ID',
    routes: ['GET /apps/:appId/variables'],
    run: async c => {
      const params = { appId: appId(c.o) }
      positional(c.args, 1, 'command')
      const json = await c.call('GET /apps/:appId/variables', params)
      return { json, text: table(items(json).map(v => ({ ...v, content: preview(String(v.content)) })), VARIABLE_COLUMNS) }
    }
  },
  {
    words: ['variables', 'get'],
    usage: '--app ID NAME',
    routes: ['GET /apps/:appId/variables/:name'],
    run: async c => {
      const params = { appId: appId(c.o), name: positional(c.args, 2, 'variable NAME') }
      return withRecord(await c.call('GET /apps/:appId/variables/:name', params))
    }
  },
  {
    words: ['variables', 'set'],
    usage: '--app ID NAME CONTENT [--protected | --unprotected]   (creates or changes it)',
    routes: ['PATCH /apps/:appId/variables/:name', 'POST /apps/:appId/variables'],
    run: async c => {
      const id = appId(c.o)
      const name = c.args[2]
      if (name === undefined) throw new UsageError('variable NAME is missing')
      const content = positional(c.args, 3, 'CONTENT')
      if (c.o.protected === true && c.o.unprotected === true) throw new UsageError('--protected and --unprotected exclude each other')
      const isProtected = c.o.protected === true ? true : c.o.unprotected === true ? false : undefined
      try {
        return withRecord(await c.call('PATCH /apps/:appId/variables/:name', { appId: id, name }, { content, protected: isProtected }))
      } catch (err) {
        // Not there yet (or no such app, which the create then reports).
        if (!(err instanceof RequestError) || err.status !== 404) throw err
      }
      return withRecord(await c.call('POST /apps/:appId/variables', { appId: id }, { name, content, protected: isProtected }))
    }
  },
  {
    words: ['variables', 'delete'],
    usage: '--app ID NAME',
    routes: ['DELETE /apps/:appId/variables/:name'],
    run: async c => {
      const params = { appId: appId(c.o), name: positional(c.args, 2, 'variable NAME') }
      await c.call('DELETE /apps/:appId/variables/:name', params)
      return { json: null, text: `variable ${params.name} deleted` }
    }
  },
  {
    words: ['accounts', 'create'],
    usage: '--app ID --login L --password P [--email] [--comment C]\n    [--requires-license true|false] [--license KEY]...',
    routes: ['POST /apps/:appId/accounts'],
    run: async c => {
      const params = { appId: appId(c.o) }
      positional(c.args, 1, 'command')
      const body = {
        login: need(c.o.login, '--login'),
        password: need(c.o.password, '--password'),
        credentials_type: c.o.email ? 1 : 0,
        comment: c.o.comment,
        requires_license: bool(c.o['requires-license'], '--requires-license'),
        licenses: c.o.license
      }
      return withRecord(await c.call('POST /apps/:appId/accounts', params, body))
    }
  },
  {
    words: ['accounts', 'list'],
    usage: '--app ID [--q LOGIN_PREFIX]',
    routes: ['GET /apps/:appId/accounts'],
    run: async c => {
      const params = { appId: appId(c.o) }
      positional(c.args, 1, 'command')
      const all = await allPages(c, 'GET /apps/:appId/accounts', params, { q: c.o.q })
      return { json: { items: all, next_cursor: null }, text: table(all, ACCOUNT_COLUMNS) }
    }
  },
  {
    words: ['accounts', 'get'],
    usage: '--app ID ACCOUNT_ID',
    routes: [`GET ${ACCOUNT}`],
    run: async c => withRecord(await c.call(`GET ${ACCOUNT}`, accountParams(c)))
  },
  {
    words: ['accounts', 'update'],
    usage: '--app ID ACCOUNT_ID [--comment C] [--password P] [--requires-license true|false]',
    routes: [`PATCH ${ACCOUNT}`],
    run: async c => {
      const params = accountParams(c)
      const body = { comment: c.o.comment, password: c.o.password, requires_license: bool(c.o['requires-license'], '--requires-license') }
      return withRecord(await c.call(`PATCH ${ACCOUNT}`, params, body))
    }
  },
  {
    words: ['accounts', 'delete'],
    usage: '--app ID ACCOUNT_ID',
    routes: [`DELETE ${ACCOUNT}`],
    run: async c => {
      const params = accountParams(c)
      await c.call(`DELETE ${ACCOUNT}`, params)
      return { json: null, text: `account ${params.accountId} deleted` }
    }
  },
  {
    words: ['accounts', 'blacklist'],
    usage: '--app ID ACCOUNT_ID [--comment C]',
    routes: [`POST ${ACCOUNT}/blacklist`],
    run: async c => {
      const params = accountParams(c)
      return withRecord(await c.call(`POST ${ACCOUNT}/blacklist`, params, { comment: c.o.comment }))
    }
  },
  {
    words: ['accounts', 'unblacklist'],
    usage: '--app ID ACCOUNT_ID',
    routes: [`POST ${ACCOUNT}/unblacklist`],
    run: async c => withRecord(await c.call(`POST ${ACCOUNT}/unblacklist`, accountParams(c)))
  },
  {
    words: ['accounts', 'link'],
    usage: '--app ID ACCOUNT_ID KEY',
    routes: [`POST ${ACCOUNT}/licenses`],
    run: async c => {
      const params = { appId: appId(c.o), accountId: accountId(c.args[2]) }
      const key = positional(c.args, 3, 'license KEY')
      return withRecord(await c.call(`POST ${ACCOUNT}/licenses`, params, { key }))
    }
  },
  {
    words: ['accounts', 'unlink'],
    usage: '--app ID ACCOUNT_ID KEY',
    routes: [`DELETE ${ACCOUNT}/licenses/:key`],
    run: async c => {
      const params = { appId: appId(c.o), accountId: accountId(c.args[2]), key: positional(c.args, 3, 'license KEY') }
      return withRecord(await c.call(`DELETE ${ACCOUNT}/licenses/:key`, params))
    }
  },
  {
    words: ['files', 'upload'],
    usage: '--app ID NAME PATH   (replaces a file of that name; a progress bar for 1 MiB or more)',
    routes: ['PUT /apps/:appId/files/:name'],
    run: async c => {
      const id = appId(c.o)
      const name = c.args[2]
      if (name === undefined) throw new UsageError('file NAME is missing')
      const file = positional(c.args, 3, 'PATH')
      const size = (await stat(file).catch(() => undefined))?.size ?? 0
      const bar = c.io.progress !== undefined && size >= PROGRESS_FROM_BYTES ? progressBar(c.io.progress, size) : undefined
      return withRecord(await c.upload('PUT /apps/:appId/files/:name', { appId: id, name }, file, bar))
    }
  },
  {
    words: ['files', 'list'],
    usage: '--app ID',
    routes: ['GET /apps/:appId/files'],
    run: async c => {
      const params = { appId: appId(c.o) }
      positional(c.args, 1, 'command')
      const json = await c.call('GET /apps/:appId/files', params)
      return { json, text: table(items(json), FILE_COLUMNS) }
    }
  },
  {
    words: ['files', 'get'],
    usage: '--app ID NAME',
    routes: ['GET /apps/:appId/files/:name'],
    run: async c => {
      const params = { appId: appId(c.o), name: positional(c.args, 2, 'file NAME') }
      return withRecord(await c.call('GET /apps/:appId/files/:name', params))
    }
  },
  {
    words: ['files', 'delete'],
    usage: '--app ID NAME',
    routes: ['DELETE /apps/:appId/files/:name'],
    run: async c => {
      const params = { appId: appId(c.o), name: positional(c.args, 2, 'file NAME') }
      await c.call('DELETE /apps/:appId/files/:name', params)
      return { json: null, text: `file ${params.name} deleted` }
    }
  },
  {
    words: ['sessions'],
    usage: '--app ID',
    routes: ['GET /apps/:appId/sessions'],
    run: async c => {
      const params = { appId: appId(c.o) }
      if (c.args.length > 1) throw new UsageError(`unexpected argument "${c.args[1]}"`)
      const json = await c.call('GET /apps/:appId/sessions', params)
      return { json, text: table(items(json), ['id', 'client_id', 'ip_address', 'license', 'login', 'instance_id', 'initialized_at', 'authorized_at', 'suspended_until']) }
    }
  },
  {
    words: ['disconnect'],
    usage: '--app ID SESSION_ID',
    routes: ['DELETE /apps/:appId/sessions/:sessionId'],
    run: async c => {
      const params = { appId: appId(c.o), sessionId: positional(c.args, 1, 'SESSION_ID') }
      await c.call('DELETE /apps/:appId/sessions/:sessionId', params)
      return { json: null, text: `session ${params.sessionId} disconnected` }
    }
  },
  {
    words: ['signing-keys', 'list'],
    usage: '',
    routes: ['GET /signing-keys'],
    run: async c => {
      positional(c.args, 1, 'command')
      const json = await c.call('GET /signing-keys')
      return { json, text: table(items(json), ['kid', 'created_at', 'retired_at']) }
    }
  },
  {
    words: ['signing-keys', 'rotate'],
    usage: '  (every replica signs leases with a new key)',
    routes: ['POST /signing-keys/rotate'],
    run: async c => {
      positional(c.args, 1, 'command')
      return withRecord(await c.call('POST /signing-keys/rotate'))
    }
  }
]

/** The help text, from the table: a command cannot be missing from it. */
export function usage (): string {
  const lines = COMMANDS.map(c => `  licensewire ${[...c.words, c.usage].filter(s => s !== '').join(' ')}`.replace(/\n {4}/g, `\n${' '.repeat(15 + c.words.join(' ').length)}`))
  return `${INTRO}\n${lines.join('\n')}\n\n${OPTIONS_HELP}`
}

/** The command the positionals name: the longest match of its words. */
function find (args: string[]): Command {
  const match = COMMANDS.filter(c => c.words.every((w, i) => args[i] === w)).sort((a, b) => b.words.length - a.words.length)[0]
  if (match !== undefined) return match
  throw new UsageError(args.length === 0 ? 'no command given' : `unknown command "${args.slice(0, 2).join(' ')}"`)
}

async function run (api: Api, args: string[], o: Options, io: Io): Promise<Output> {
  const command = find(args)
  const path = (route: Route, params: Params = {}): [string, string] => {
    // A route the command does not declare is a bug in this file, not a usage error.
    if (!command.routes.includes(route)) throw new Error(`licensewire CLI: "${command.words.join(' ')}" calls ${route}, which it does not declare`)
    const [method, template] = route.split(' ') as [string, string]
    return [method, template.replace(/:(\w+)/g, (_all, name: string) => {
      const value = params[name]
      if (value === undefined) throw new Error(`licensewire CLI: no value for :${name} of ${route}`)
      return encodeURIComponent(String(value))
    })]
  }
  return command.run({
    args,
    o,
    io,
    call: async (route, params, body, query) => {
      const [method, p] = path(route, params)
      return api.call(method, query === undefined ? p : `${p}?${query}`, body)
    },
    upload: async (route, params, file, sent) => api.upload(path(route, params)[1], file, sent)
  })
}

/**
 * `--session-limit -5` as `--session-limit=-5`: parseArgs takes a value that starts
 * with a dash for an option ("argument is ambiguous") unless it is glued on.
 */
function withNegativeValues (argv: string[]): string[] {
  const out: string[] = []
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i]!
    const name = arg.startsWith('--') ? arg.slice(2) : undefined
    const next = argv[i + 1]
    if (name !== undefined && OPTIONS[name as keyof typeof OPTIONS]?.type === 'string' && next !== undefined && /^-\d/.test(next)) {
      out.push(`${arg}=${next}`)
      i++
    } else {
      out.push(arg)
    }
  }
  return out
}

/** Runs one command line; returns the exit code (0 ok, 1 the request failed, 2 bad usage). */
export async function main (argv: string[], io: Io): Promise<number> {
  try {
    const { values: o, positionals } = parseArgs({ args: withNegativeValues(argv), options: OPTIONS, allowPositionals: true, strict: true })
    if (o.help) {
      io.out(usage())
      return 0
    }
    // An empty variable counts as unset, as in the server's own configuration.
    const env = (name: string): string | undefined => io.env[name]?.trim() || undefined
    const token = o.token ?? env('LICENSEWIRE_TOKEN') ?? env('ADMIN_TOKEN')?.split(',')[0]?.trim()
    if (token === undefined || token === '') throw new UsageError('no admin token: pass --token or set LICENSEWIRE_TOKEN')
    const url = (o.url ?? env('LICENSEWIRE_URL') ?? 'http://127.0.0.1:3000').replace(/\/+$/, '')
    const output = await run(new Api(url, token), positionals, o, io)
    // A 204 has no JSON to print.
    const printed = o.json ? (output.json === null ? undefined : JSON.stringify(output.json, null, 2)) : output.text
    if (printed !== undefined) io.out(printed)
    return 0
  } catch (err) {
    if (err instanceof RequestError) {
      io.err(`error: ${err.message}`)
      return 1
    }
    // parseArgs reports unknown or malformed options with a TypeError and a code.
    if (err instanceof UsageError || (err instanceof TypeError && 'code' in err && String(err.code).startsWith('ERR_PARSE_ARGS'))) {
      io.err(`error: ${err.message}\nRun "licensewire --help" for usage.`)
      return 2
    }
    throw err
  }
}

if (process.argv[1] !== undefined && fileURLToPath(import.meta.url) === realpathSync(process.argv[1])) {
  const io: Io = {
    env: process.env,
    out: text => console.log(text),
    err: text => console.error(text),
    progress: process.stderr.isTTY ? text => process.stderr.write(text) : undefined
  }
  main(process.argv.slice(2), io).then(code => { process.exitCode = code }, err => {
    console.error(err)
    process.exitCode = 1
  })
}
