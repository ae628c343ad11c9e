#!/usr/bin/env node
import { createReadStream, realpathSync } from 'node:fs'
import { stat } from 'node:fs/promises'
import { fileURLToPath } from 'node:url'
import { parseArgs } from 'node:util'

const USAGE = `licensewire — the management API from the command line

  licensewire apps create --name N [--version V] [--session-limit N] [--blacklist-limit N] [--accounts-limit N]
                          [--accounts-require-license true|false]
  licensewire apps list
  licensewire apps get ID
  licensewire apps pause ID | apps unpause ID
  licensewire licenses create --app ID --duration 30d [--count N] [--levels JSON] [--comment C]
  licensewire licenses list --app ID [--state available|active|expired|paused|blacklisted]
  licensewire licenses get --app ID KEY
  licensewire licenses pause|unpause|unblacklist|reset-client|reinitialize --app ID KEY
  licensewire licenses blacklist --app ID KEY [--comment C]
  licensewire licenses extend --app ID KEY --duration D
  licensewire blacklist list --app ID
  licensewire blacklist add --app ID CLIENT_ID [--comment C]
  licensewire blacklist remove --app ID CLIENT_ID
  licensewire variables list --app ID
  licensewire variables get --app ID NAME
  licensewire variables set --app ID NAME CONTENT [--protected | --unprotected]
  licensewire variables delete --app ID NAME
  licensewire accounts create --app ID --login L --password P [--email] [--comment C]
                              [--requires-license true|false] [--license KEY]...
  licensewire accounts list --app ID [--q LOGIN_PREFIX]
  licensewire accounts get|delete|unblacklist --app ID ACCOUNT_ID
  licensewire accounts update --app ID ACCOUNT_ID [--comment C] [--password P] [--requires-license true|false]
  licensewire accounts blacklist --app ID ACCOUNT_ID [--comment C]
  licensewire accounts link|unlink --app ID ACCOUNT_ID KEY
  licensewire files upload --app ID NAME PATH   (replaces a file of that name)
  licensewire files list --app ID
  licensewire files get --app ID NAME
  licensewire files delete --app ID NAME
  licensewire sessions --app ID
  licensewire disconnect --app ID SESSION_ID

Options:
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
  if (!/^\d+$/.test(value)) throw new UsageError(`${flag} must be a whole number, got "${value}"`)
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

function appPath (o: Options): string {
  const id = need(o.app, '--app')
  if (!/^\d+$/.test(id)) throw new UsageError(`--app must be an app id (a number), got "${id}"`)
  return `/apps/${id}`
}

function accountId (value: string | undefined): string {
  if (value === undefined) throw new UsageError('ACCOUNT_ID is missing')
  if (!/^\d+$/.test(value)) throw new UsageError(`ACCOUNT_ID must be a number, got "${value}"`)
  return value
}

const LICENSE_ACTIONS = new Set(['pause', 'unpause', 'blacklist', 'unblacklist', 'reset-client', 'reinitialize', 'extend'])

async function run (api: Api, args: string[], o: Options, io: Io): Promise<Output> {
  const [group, action] = args
  const withRecord = (json: unknown): Output => ({ json, text: record(json as Json) })

  if (group === 'apps') {
    if (action === 'create') {
      positional(args, 1, 'command')
      const body = {
        name: need(o.name, '--name'),
        version: o.version,
        session_limit: int(o['session-limit'], '--session-limit'),
        blacklist_limit: int(o['blacklist-limit'], '--blacklist-limit'),
        accounts_limit: int(o['accounts-limit'], '--accounts-limit'),
        accounts_require_license: bool(o['accounts-require-license'], '--accounts-require-license')
      }
      return withRecord(await api.call('POST', '/apps', body))
    }
    if (action === 'list') {
      positional(args, 1, 'command')
      const json = await api.call('GET', '/apps')
      return { json, text: table(items(json), APP_COLUMNS) }
    }
    if (action === 'get' || action === 'pause' || action === 'unpause') {
      const id = positional(args, 2, 'app ID')
      if (!/^\d+$/.test(id)) throw new UsageError(`app ID must be a number, got "${id}"`)
      if (action === 'get') return withRecord(await api.call('GET', `/apps/${id}`))
      return withRecord(await api.call('PATCH', `/apps/${id}`, { paused: action === 'pause' }))
    }
  }

  if (group === 'licenses') {
    const base = `${appPath(o)}/licenses`
    if (action === 'create') {
      positional(args, 1, 'command')
      let levels: unknown
      if (o.levels !== undefined) {
        try {
          levels = JSON.parse(o.levels)
        } catch {
          throw new UsageError('--levels must be a JSON object, e.g. \'{"tier":"pro"}\'')
        }
      }
      const body = { count: int(o.count, '--count'), duration: need(o.duration, '--duration'), levels, comment: o.comment }
      const json = await api.call('POST', base, body)
      return { json, text: table(items(json), LICENSE_COLUMNS) }
    }
    if (action === 'list') {
      positional(args, 1, 'command')
      // Every page, so the table is the whole list.
      const all: Json[] = []
      let cursor: string | null = null
      do {
        const query = new URLSearchParams({ limit: '500' })
        if (o.state !== undefined) query.set('state', o.state)
        if (cursor !== null) query.set('cursor', cursor)
        const page = await api.call('GET', `${base}?${query}`) as { items: Json[], next_cursor: string | null }
        all.push(...page.items)
        cursor = page.next_cursor
      } while (cursor !== null)
      return { json: { items: all, next_cursor: null }, text: table(all, LICENSE_COLUMNS) }
    }
    if (action === 'get' || (action !== undefined && LICENSE_ACTIONS.has(action))) {
      const path = `${base}/${encodeURIComponent(positional(args, 2, 'license KEY'))}`
      if (action === 'get') return withRecord(await api.call('GET', path))
      const body = action === 'extend'
        ? { duration: need(o.duration, '--duration') }
        : action === 'blacklist' ? { comment: o.comment } : undefined
      return withRecord(await api.call('POST', `${path}/${action}`, body))
    }
  }

  if (group === 'blacklist') {
    const base = `${appPath(o)}/blacklist`
    if (action === 'list') {
      positional(args, 1, 'command')
      const json = await api.call('GET', base)
      return { json, text: table(items(json), ['client_id', 'source', 'comment', 'created_at']) }
    }
    if (action === 'add') {
      const clientId = positional(args, 2, 'CLIENT_ID')
      return withRecord(await api.call('POST', base, { client_id: clientId, comment: o.comment }))
    }
    if (action === 'remove') {
      const clientId = positional(args, 2, 'CLIENT_ID')
      await api.call('DELETE', `${base}/${encodeURIComponent(clientId)}`)
      return { json: null, text: `client id ${clientId} is no longer blacklisted` }
    }
  }

  if (group === 'variables') {
    const base = `${appPath(o)}/variables`
    if (action === 'list') {
      positional(args, 1, 'command')
      const json = await api.call('GET', base)
      return { json, text: table(items(json).map(v => ({ ...v, content: preview(String(v.content)) })), VARIABLE_COLUMNS) }
    }
    if (action === 'get' || action === 'delete') {
      const name = positional(args, 2, 'variable NAME')
      const path = `${base}/${encodeURIComponent(name)}`
      if (action === 'get') return withRecord(await api.call('GET', path))
      await api.call('DELETE', path)
      return { json: null, text: `variable ${name} deleted` }
    }
    if (action === 'set') {
      const name = args[2]
      if (name === undefined) throw new UsageError('variable NAME is missing')
      const content = positional(args, 3, 'CONTENT')
      if (o.protected === true && o.unprotected === true) throw new UsageError('--protected and --unprotected exclude each other')
      const isProtected = o.protected === true ? true : o.unprotected === true ? false : undefined
      try {
        return withRecord(await api.call('PATCH', `${base}/${encodeURIComponent(name)}`, { content, protected: isProtected }))
      } catch (err) {
        // Not there yet (or no such app, which the create then reports).
        if (!(err instanceof RequestError) || err.status !== 404) throw err
      }
      return withRecord(await api.call('POST', base, { name, content, protected: isProtected }))
    }
  }

  if (group === 'accounts') {
    const base = `${appPath(o)}/accounts`
    if (action === 'create') {
      positional(args, 1, 'command')
      const body = {
        login: need(o.login, '--login'),
        password: need(o.password, '--password'),
        credentials_type: o.email ? 1 : 0,
        comment: o.comment,
        requires_license: bool(o['requires-license'], '--requires-license'),
        licenses: o.license
      }
      return withRecord(await api.call('POST', base, body))
    }
    if (action === 'list') {
      positional(args, 1, 'command')
      // Every page, so the table is the whole list.
      const all: Json[] = []
      let cursor: string | null = null
      do {
        const query = new URLSearchParams({ limit: '500' })
        if (o.q !== undefined) query.set('q', o.q)
        if (cursor !== null) query.set('cursor', cursor)
        const page = await api.call('GET', `${base}?${query}`) as { items: Json[], next_cursor: string | null }
        all.push(...page.items)
        cursor = page.next_cursor
      } while (cursor !== null)
      return { json: { items: all, next_cursor: null }, text: table(all, ACCOUNT_COLUMNS) }
    }
    if (action === 'link' || action === 'unlink') {
      const id = accountId(args[2])
      const key = positional(args, 3, 'license KEY')
      if (action === 'link') return withRecord(await api.call('POST', `${base}/${id}/licenses`, { key }))
      return withRecord(await api.call('DELETE', `${base}/${id}/licenses/${encodeURIComponent(key)}`))
    }
    if (action !== undefined && ['get', 'update', 'delete', 'blacklist', 'unblacklist'].includes(action)) {
      const path = `${base}/${accountId(positional(args, 2, 'ACCOUNT_ID'))}`
      if (action === 'get') return withRecord(await api.call('GET', path))
      if (action === 'update') {
        const body = { comment: o.comment, password: o.password, requires_license: bool(o['requires-license'], '--requires-license') }
        return withRecord(await api.call('PATCH', path, body))
      }
      if (action === 'delete') {
        await api.call('DELETE', path)
        return { json: null, text: `account ${path.split('/').pop()} deleted` }
      }
      return withRecord(await api.call('POST', `${path}/${action}`, action === 'blacklist' ? { comment: o.comment } : undefined))
    }
  }

  if (group === 'files') {
    const base = `${appPath(o)}/files`
    if (action === 'list') {
      positional(args, 1, 'command')
      const json = await api.call('GET', base)
      return { json, text: table(items(json), FILE_COLUMNS) }
    }
    if (action === 'get' || action === 'delete') {
      const name = positional(args, 2, 'file NAME')
      const path = `${base}/${encodeURIComponent(name)}`
      if (action === 'get') return withRecord(await api.call('GET', path))
      await api.call('DELETE', path)
      return { json: null, text: `file ${name} deleted` }
    }
    if (action === 'upload') {
      const name = args[2]
      if (name === undefined) throw new UsageError('file NAME is missing')
      const file = positional(args, 3, 'PATH')
      const size = (await stat(file).catch(() => undefined))?.size ?? 0
      const bar = io.progress !== undefined && size >= PROGRESS_FROM_BYTES ? progressBar(io.progress, size) : undefined
      return withRecord(await api.upload(`${base}/${encodeURIComponent(name)}`, file, bar))
    }
  }

  if (group === 'sessions') {
    if (args.length > 1) throw new UsageError(`unexpected argument "${args[1]}"`)
    const json = await api.call('GET', `${appPath(o)}/sessions`)
    return { json, text: table(items(json), ['id', 'client_id', 'ip_address', 'license', 'login', 'instance_id', 'initialized_at', 'authorized_at']) }
  }

  if (group === 'disconnect') {
    const sessionId = positional(args, 1, 'SESSION_ID')
    await api.call('DELETE', `${appPath(o)}/sessions/${encodeURIComponent(sessionId)}`)
    return { json: null, text: `session ${sessionId} disconnected` }
  }

  throw new UsageError(args.length === 0 ? 'no command given' : `unknown command "${args.slice(0, 2).join(' ')}"`)
}

/** Runs one command line; returns the exit code (0 ok, 1 the request failed, 2 bad usage). */
export async function main (argv: string[], io: Io): Promise<number> {
  try {
    const { values: o, positionals } = parseArgs({ args: argv, options: OPTIONS, allowPositionals: true, strict: true })
    if (o.help) {
      io.out(USAGE)
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
