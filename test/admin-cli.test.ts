import { before, test } from 'node:test'
import assert from 'node:assert/strict'
import { execFile } from 'node:child_process'
import { randomUUID } from 'node:crypto'
import { mkdtemp, rm, writeFile } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { promisify } from 'node:util'
import { testDatabase, type TestDatabase } from './helpers/database.js'
import { startServer, type TestServer } from './helpers/server.js'
import { TOKEN, recordEvents } from './helpers/admin.js'
import { COMMANDS, main, usage } from '../src/cli/main.js'
import type { LiveEvent } from '../src/events.js'
import { pattern, sha256 } from './helpers/files.js'

const run = promisify(execFile)
let db: TestDatabase
let server: TestServer
let events: LiveEvent[]

before(async t => {
  db = await testDatabase(t)
  server = await startServer(t, db, { adminTokens: [TOKEN] })
  events = recordEvents(server)
})

interface Result { code: number, stdout: string, stderr: string }

/** The CLI as a user runs it: its own process, settings from the environment. */
async function cli (args: string[], env: Record<string, string> = {}): Promise<Result> {
  try {
    const { stdout, stderr } = await run(process.execPath, ['--import', 'tsx', 'src/cli/main.ts', ...args], {
      env: { PATH: process.env.PATH, LICENSEWIRE_URL: server.url, LICENSEWIRE_TOKEN: TOKEN, ...env },
      timeout: 20000
    })
    return { code: 0, stdout, stderr }
  } catch (err) {
    const e = err as { code: number, stdout: string, stderr: string }
    return { code: e.code, stdout: e.stdout, stderr: e.stderr }
  }
}

/** The same entry point in this process: quicker for the many commands. */
async function cliHere (args: string[]): Promise<Result> {
  const out: string[] = []
  const err: string[] = []
  const code = await main(args, { env: { LICENSEWIRE_URL: server.url, LICENSEWIRE_TOKEN: TOKEN }, out: t => out.push(t), err: t => err.push(t) })
  return { code, stdout: out.join('\n'), stderr: err.join('\n') }
}

test('the CLI process creates and lists apps, JSON or table', async () => {
  const created = await cli(['apps', 'create', '--name', 'Cli app', '--session-limit', '5', '--version', '2.0.0', '--json'])
  assert.equal(created.code, 0, created.stderr)
  const app = JSON.parse(created.stdout)
  assert.equal(app.name, 'Cli app')
  assert.equal(app.session_limit, 5)
  assert.equal(app.version, '2.0.0')
  assert.match(app.websocket_api_key, /^[A-Z0-9]{21}$/)

  // The token from ADMIN_TOKEN (first of the list) and the URL from --url.
  const listed = await cli(['apps', 'list', '--url', server.url], { LICENSEWIRE_URL: 'http://127.0.0.1:1', LICENSEWIRE_TOKEN: '', ADMIN_TOKEN: `${TOKEN},other-token-0123456789` })
  assert.equal(listed.code, 0, listed.stderr)
  const lines = listed.stdout.trimEnd().split('\n')
  assert.match(lines[0]!, /^ID +NAME +VERSION +PAUSED +SESSION_LIMIT +WEBSOCKET_API_KEY$/)
  // A shared database may hold other apps of the same name: find ours by id.
  const row = lines.find(l => l.startsWith(`${app.id} `))!
  assert.match(row, new RegExp(`^${app.id} +Cli app +2\\.0\\.0 +false +5 +${app.websocket_api_key}$`))
  assert.equal(row.indexOf('Cli app'), lines[0]!.indexOf('NAME'), 'columns line up')
})

test('the CLI process exits non-zero with the server message or a usage hint', async () => {
  const missing = await cli(['apps', 'get', '999999'])
  assert.equal(missing.code, 1)
  assert.equal(missing.stderr.trim(), 'error: HTTP 404: app 999999 not found')
  assert.equal(missing.stdout, '')

  const denied = await cli(['apps', 'list', '--token', 'wrong-token-0123456789'])
  assert.equal(denied.code, 1)
  assert.equal(denied.stderr.trim(), 'error: HTTP 401: missing or invalid admin token')

  const usage = await cli(['licenses', 'create', '--app', '1'])
  assert.equal(usage.code, 2)
  assert.match(usage.stderr, /--duration is required/)
})

test('every CLI command against the live server', async () => {
  const app = JSON.parse((await cliHere(['apps', 'create', '--name', 'Everything', '--json'])).stdout)
  const appFlag = ['--app', String(app.id)]

  const made = await cliHere(['licenses', 'create', ...appFlag, '--count', '3', '--duration', '30d', '--levels', '{"tier":"pro"}', '--comment', 'cli', '--json'])
  assert.equal(made.code, 0, made.stderr)
  const keys: string[] = JSON.parse(made.stdout).items.map((l: { key: string }) => l.key)
  assert.equal(keys.length, 3)
  const [a, b, c] = keys as [string, string, string]

  const table = await cliHere(['licenses', 'list', ...appFlag])
  assert.match(table.stdout, /^KEY +STATE +EXPIRES_AT +DURATION_SECONDS +CLIENT_ID +LEVELS +COMMENT\n/)
  for (const key of keys) assert.match(table.stdout, new RegExp(`${key} +available +- +2592000 +- +\\{"tier":"pro"\\} +cli`))

  const expectState = async (args: string[], state: string): Promise<Record<string, unknown>> => {
    const res = await cliHere([...args, '--json'])
    assert.equal(res.code, 0, `${args.join(' ')}: ${res.stderr}`)
    const license = JSON.parse(res.stdout)
    assert.equal(license.state, state, args.join(' '))
    return license
  }
  await expectState(['licenses', 'pause', ...appFlag, a], 'paused')
  await expectState(['licenses', 'unpause', ...appFlag, a], 'available')
  const black = await expectState(['licenses', 'blacklist', ...appFlag, b, '--comment', 'fraud'], 'blacklisted')
  assert.equal(black.blacklist_comment, 'fraud')
  await expectState(['licenses', 'unblacklist', ...appFlag, b], 'available')
  await expectState(['licenses', 'reset-client', ...appFlag, c], 'available')
  await expectState(['licenses', 'reinitialize', ...appFlag, c], 'available')
  const extended = await expectState(['licenses', 'extend', ...appFlag, c, '--duration', '1d'], 'available')
  assert.equal(extended.duration_seconds, 31 * 86400)
  await expectState(['licenses', 'get', ...appFlag, c], 'available')
  await cliHere(['licenses', 'pause', ...appFlag, c])
  const paused = JSON.parse((await cliHere(['licenses', 'list', ...appFlag, '--state', 'paused', '--json'])).stdout)
  assert.deepEqual(paused.items.map((l: { key: string }) => l.key), [c])

  const record = await cliHere(['apps', 'get', String(app.id)])
  assert.match(record.stdout, /^id +\d+$/m)
  assert.match(record.stdout, /^online_sessions +0$/m)
  const pausedApp = JSON.parse((await cliHere(['apps', 'pause', String(app.id), '--json'])).stdout)
  assert.equal(pausedApp.paused, true)
  const unpausedApp = await cliHere(['apps', 'unpause', String(app.id)])
  assert.match(unpausedApp.stdout, /^paused +false$/m)

  events.length = 0
  const blocked = await cliHere(['blacklist', 'add', ...appFlag, 'device-0042', '--comment', 'abuse'])
  assert.equal(blocked.code, 0, blocked.stderr)
  assert.match(blocked.stdout, /^client_id +device-0042$/m)
  assert.deepEqual(events, [{ type: 'client_blacklisted', appId: app.id, clientId: 'device-0042' }])
  assert.match((await cliHere(['blacklist', 'list', ...appFlag])).stdout, /^CLIENT_ID +SOURCE +COMMENT +CREATED_AT\ndevice-0042 +admin +abuse +\d{4}-/)
  assert.equal((await cliHere(['blacklist', 'remove', ...appFlag, 'device-0042'])).code, 0)

  const sessions = await cliHere(['sessions', ...appFlag])
  assert.equal(sessions.stdout, '(none)')
  assert.deepEqual(JSON.parse((await cliHere(['sessions', ...appFlag, '--json'])).stdout), { items: [] })
  const sessionId = randomUUID()
  const instance = randomUUID()
  await db.pool.query("INSERT INTO instances (id, lease_expires_at) VALUES ($1, now() + interval '1 hour')", [instance])
  await db.pool.query("INSERT INTO sessions (id, instance_id, app_id, client_id) VALUES ($1, $2, $3, 'device-0007')", [sessionId, instance, app.id])
  assert.match((await cliHere(['sessions', ...appFlag])).stdout, new RegExp(`^${sessionId} +device-0007 +- +- +- +${instance} `, 'm'))
  events.length = 0
  const disconnected = await cliHere(['disconnect', ...appFlag, sessionId])
  assert.equal(disconnected.code, 0, disconnected.stderr)
  assert.equal(disconnected.stdout, `session ${sessionId} disconnected`)
  assert.deepEqual(events, [{ type: 'session_disconnected', appId: app.id, sessionId }])
})

test('CLI: the blacklist limit on create, and variables list, get, set, delete', async () => {
  const app = JSON.parse((await cliHere(['apps', 'create', '--name', 'Vars', '--blacklist-limit', '7', '--json'])).stdout)
  assert.equal(app.blacklist_limit, 7)
  assert.match((await cliHere(['apps', 'get', String(app.id)])).stdout, /^blacklist_limit +7$/m)
  const appFlag = ['--app', String(app.id)]
  assert.equal((await cliHere(['variables', 'list', ...appFlag])).stdout, '(none)')

  const created = await cliHere(['variables', 'set', ...appFlag, 'motd', 'Hello "world"\nbye', '--json'])
  assert.equal(created.code, 0, created.stderr)
  assert.deepEqual(pick(JSON.parse(created.stdout)), { name: 'motd', content: 'Hello "world"\nbye', protected: false })
  const secret = await cliHere(['variables', 'set', ...appFlag, 'config', '{"beta":true}', '--protected'])
  assert.match(secret.stdout, /^protected +true$/m)
  // Setting again changes the content and keeps the protection unless told.
  const changed = JSON.parse((await cliHere(['variables', 'set', ...appFlag, 'config', '{"beta":false}', '--json'])).stdout)
  assert.deepEqual(pick(changed), { name: 'config', content: '{"beta":false}', protected: true })
  const opened = JSON.parse((await cliHere(['variables', 'set', ...appFlag, 'config', '{"beta":false}', '--unprotected', '--json'])).stdout)
  assert.equal(opened.protected, false)

  const list = await cliHere(['variables', 'list', ...appFlag])
  assert.match(list.stdout, /^NAME +PROTECTED +UPDATED_AT +CONTENT\nconfig +false +\d{4}-\S+ +\{\\"beta\\":false\}\nmotd +false +\d{4}-\S+ +Hello \\"world\\"\\nbye$/)
  assert.deepEqual(JSON.parse((await cliHere(['variables', 'list', ...appFlag, '--json'])).stdout).items.map(pick), [
    { name: 'config', content: '{"beta":false}', protected: false },
    { name: 'motd', content: 'Hello "world"\nbye', protected: false }
  ])
  assert.match((await cliHere(['variables', 'get', ...appFlag, 'motd'])).stdout, /^name +motd$/m)

  const deleted = await cliHere(['variables', 'delete', ...appFlag, 'motd'])
  assert.equal(deleted.stdout, 'variable motd deleted')
  const gone = await cliHere(['variables', 'get', ...appFlag, 'motd'])
  assert.equal(gone.code, 1)
  assert.equal(gone.stderr, 'error: HTTP 404: variable not found')
  const noApp = await cliHere(['variables', 'set', '--app', '999999', 'motd', 'x'])
  assert.equal(noApp.stderr, 'error: HTTP 404: app 999999 not found')
})

const pick = (v: Record<string, unknown>): Record<string, unknown> => ({ name: v.name, content: v.content, protected: v.protected })

test('every accounts command against the live server', async () => {
  const app = JSON.parse((await cliHere(['apps', 'create', '--name', 'Accounts', '--accounts-limit', '5', '--accounts-require-license', 'true', '--json'])).stdout)
  assert.equal(app.accounts_limit, 5)
  assert.equal(app.accounts_require_license, true)
  const appFlag = ['--app', String(app.id)]
  const [k1, k2] = JSON.parse((await cliHere(['licenses', 'create', ...appFlag, '--count', '2', '--duration', '1d', '--json'])).stdout)
    .items.map((l: { key: string }) => l.key) as [string, string]

  const made = await cliHere(['accounts', 'create', ...appFlag, '--login', 'cli@example.com', '--email', '--password', 'a long cli password',
    '--comment', 'from the cli', '--license', k1, '--json'])
  assert.equal(made.code, 0, made.stderr)
  const account = JSON.parse(made.stdout)
  assert.equal(account.credentials_type, 1)
  assert.equal(account.requires_license, true)
  assert.deepEqual(account.licenses, [k1])
  const id = String(account.id)
  assert.match((await cliHere(['accounts', 'get', ...appFlag, id])).stdout, /^login +cli@example\.com$/m)
  assert.match((await cliHere(['accounts', 'list', ...appFlag, '--q', 'CLI@'])).stdout,
    new RegExp(`^ID +LOGIN +REQUIRES_LICENSE +BLACKLISTED_AT +TIME_LEFT +LICENSES +LAST_LOGIN_AT +COMMENT\n${id} +cli@example\\.com +true +- +\\d+ +\\["${k1}"\\] +- +from the cli$`))
  assert.equal((await cliHere(['accounts', 'list', ...appFlag, '--q', 'nobody'])).stdout, '(none)')

  const json = async (args: string[]): Promise<Record<string, unknown>> => {
    const res = await cliHere([...args, '--json'])
    assert.equal(res.code, 0, `${args.join(' ')}: ${res.stderr}`)
    return JSON.parse(res.stdout)
  }
  const updated = await json(['accounts', 'update', ...appFlag, id, '--comment', 'changed', '--requires-license', 'false', '--password', 'another cli password'])
  assert.equal(updated.comment, 'changed')
  assert.equal(updated.requires_license, false)
  assert.deepEqual((await json(['accounts', 'link', ...appFlag, id, k2])).licenses, [k1, k2])
  assert.deepEqual((await json(['accounts', 'unlink', ...appFlag, id, k1])).licenses, [k2])
  events.length = 0
  assert.equal((await json(['accounts', 'blacklist', ...appFlag, id, '--comment', 'abuse'])).blacklist_comment, 'abuse')
  assert.equal((await json(['accounts', 'unblacklist', ...appFlag, id])).blacklisted_at, null)
  const deleted = await cliHere(['accounts', 'delete', ...appFlag, id])
  assert.equal(deleted.stdout, `account ${id} deleted`)
  assert.deepEqual(events.filter(e => e.type === 'account_changed').map(e => 'event' in e ? e.event : 0), [300, 301, 302])
  const missing = await cliHere(['accounts', 'get', ...appFlag, id])
  assert.equal(missing.code, 1)
  assert.match(missing.stderr, /HTTP 404: account not found/)
})

test('CLI: files upload from disk with a progress bar, list, get, delete', async t => {
  const dir = await mkdtemp(join(tmpdir(), 'licensewire-cli-'))
  t.after(() => rm(dir, { recursive: true, force: true }))
  const big = pattern(1536 * 1024)
  const small = pattern(1000)
  await writeFile(join(dir, 'setup.bin'), big)
  await writeFile(join(dir, 'notes.txt'), small)
  const app = JSON.parse((await cliHere(['apps', 'create', '--name', 'Files', '--json'])).stdout)
  const appFlag = ['--app', String(app.id)]

  const drawn: string[] = []
  const out: string[] = []
  const io = { env: { LICENSEWIRE_URL: server.url, LICENSEWIRE_TOKEN: TOKEN }, out: (t: string) => out.push(t), err: (t: string) => out.push(t), progress: (t: string) => drawn.push(t) }
  assert.equal(await main(['files', 'upload', ...appFlag, 'Setup 2', join(dir, 'setup.bin'), '--json'], io), 0, out.join('\n'))
  const uploaded = JSON.parse(out.pop()!)
  assert.equal(uploaded.size, big.length)
  assert.equal(uploaded.checksum, sha256(big))
  assert.ok(drawn.length > 2, 'the bar moves while the file is sent')
  assert.equal(drawn.at(-1), `\r[${'#'.repeat(20)}] 100%  1.5 / 1.5 MiB\n`)
  drawn.length = 0
  assert.equal(await main(['files', 'upload', ...appFlag, 'notes', join(dir, 'notes.txt')], io), 0)
  assert.deepEqual(drawn, [], 'no bar for a small file')
  assert.match(out.pop()!, /^checksum +[0-9a-f]{64}$/m)

  const list = await cliHere(['files', 'list', ...appFlag])
  assert.match(list.stdout, new RegExp(`^NAME +SIZE +CHECKSUM +TRANSFER_COUNT +LAST_TRANSFERRED_AT +CREATED_AT\nSetup 2 +${big.length} +${sha256(big)} +0 +- +\\d{4}-\\S+\nnotes +1000 +`))
  assert.match((await cliHere(['files', 'get', ...appFlag, 'Setup 2'])).stdout, /^size +1572864$/m)
  assert.equal((await cliHere(['files', 'delete', ...appFlag, 'Setup 2'])).stdout, 'file Setup 2 deleted')
  const gone = await cliHere(['files', 'get', ...appFlag, 'Setup 2'])
  assert.equal(gone.code, 1)
  assert.equal(gone.stderr, 'error: HTTP 404: file not found')
  const missing = await cliHere(['files', 'upload', ...appFlag, 'nope', join(dir, 'no-such-file')])
  assert.equal(missing.code, 2)
  assert.match(missing.stderr, /^error: cannot read .*no-such-file/)
})

test('a negative number reaches the server, whose validation answers', async () => {
  for (const args of [['--session-limit', '-5'], ['--session-limit=-5']]) {
    const res = await cliHere(['apps', 'create', '--name', 'Negative', ...args])
    assert.equal(res.code, 1, res.stderr)
    assert.equal(res.stderr, 'error: HTTP 400: body/session_limit must be >= 0')
  }
  // And as a user runs it, in its own process.
  const proc = await cli(['apps', 'create', '--name', 'Negative', '--session-limit', '-5'])
  assert.equal(proc.code, 1)
  assert.equal(proc.stderr.trim(), 'error: HTTP 400: body/session_limit must be >= 0')
  // A dash that is not a number is still taken for an option.
  const flag = await cliHere(['apps', 'create', '--name', '--json'])
  assert.equal(flag.code, 2)
  assert.match(flag.stderr, /argument is ambiguous/)
})

test('CLI usage errors', async () => {
  for (const [args, message] of [
    [[], /no command given/],
    [['apps', 'fly'], /unknown command "apps fly"/],
    [['apps', 'get'], /app ID is missing/],
    [['apps', 'get', 'abc'], /app ID must be a number/],
    [['licenses', 'list'], /--app is required/],
    [['licenses', 'pause', '--app', '1'], /license KEY is missing/],
    [['licenses', 'create', '--app', '1', '--duration', '1d', '--levels', '{oops'], /--levels must be a JSON object/],
    [['licenses', 'create', '--app', '1', '--duration', '1d', '--count', 'two'], /--count must be a whole number/],
    [['apps', 'list', '--colour'], /Unknown option '--colour'/],
    [['apps', 'create', '--name', 'x', '--blacklist-limit', 'many'], /--blacklist-limit must be a whole number/],
    [['variables', 'set', '--app', '1', 'motd'], /CONTENT is missing/],
    [['variables', 'set', '--app', '1'], /variable NAME is missing/],
    [['variables', 'set', '--app', '1', 'motd', 'x', '--protected', '--unprotected'], /--protected and --unprotected exclude each other/],
    [['variables', 'get', '--app', '1', 'a', 'b'], /unexpected argument "b"/],
    [['accounts', 'create', '--app', '1', '--login', 'someone'], /--password is required/],
    [['accounts', 'get', '--app', '1'], /ACCOUNT_ID is missing/],
    [['accounts', 'link', '--app', '1', 'x', 'KEY'], /ACCOUNT_ID must be a number/],
    [['accounts', 'unlink', '--app', '1', '5'], /license KEY is missing/],
    [['accounts', 'update', '--app', '1', '5', '--requires-license', 'yes'], /--requires-license must be true or false/],
    [['files', 'upload', '--app', '1', 'name'], /PATH is missing/],
    [['files', 'upload', '--app', '1'], /file NAME is missing/],
    [['files', 'list'], /--app is required/]
  ] as const) {
    const res = await cliHere([...args])
    assert.equal(res.code, 2, args.join(' '))
    assert.match(res.stderr, message)
    assert.match(res.stderr, /licensewire --help/)
  }
  const help = await cliHere(['--help'])
  assert.equal(help.code, 0)
  assert.match(help.stdout, /licenses extend --app ID KEY --duration D/)
})

test('the CLI covers every route of the API, and its help lists every command', async () => {
  const doc = await (await fetch(`${server.url}/admin/openapi.json`)).json() as { paths: Record<string, Record<string, unknown>> }
  const api = Object.entries(doc.paths).flatMap(([path, item]) => Object.keys(item)
    .map(method => `${method.toUpperCase()} ${path.replace(/^\/admin\/v1/, '').replace(/\{(\w+)\}/g, ':$1')}`))
  const cli = new Set(COMMANDS.flatMap(c => c.routes))
  assert.deepEqual(api.filter(r => !cli.has(r as never)), [], 'API routes no CLI command calls')
  assert.deepEqual([...cli].filter(r => !api.includes(r)), [], 'CLI routes the API does not have')
  const help = usage()
  for (const command of COMMANDS) assert.ok(help.includes(`licensewire ${command.words.join(' ')}`), command.words.join(' '))
})

test('CLI: apps update, rotate-key and delete; licenses update and delete; signing keys', async () => {
  const json = async (args: string[]): Promise<Record<string, unknown>> => {
    const res = await cliHere([...args, '--json'])
    assert.equal(res.code, 0, `${args.join(' ')}: ${res.stderr}`)
    return JSON.parse(res.stdout)
  }
  const app = await json(['apps', 'create', '--name', 'Changing', '--signed-leases', 'true', '--file-storage-limit-mib', '5'])
  assert.equal(app.signed_leases, true)
  assert.equal(app.file_storage_limit_mib, 5)
  const id = String(app.id)
  const updated = await json(['apps', 'update', id, '--name', 'Changed', '--version', '3.1.0', '--session-limit', '9', '--signed-leases', 'false'])
  assert.deepEqual([updated.name, updated.version, updated.session_limit, updated.signed_leases], ['Changed', '3.1.0', 9, false])
  const rotated = await json(['apps', 'rotate-key', id])
  assert.match(String(rotated.websocket_api_key), /^[A-Z0-9]{21}$/)
  assert.notEqual(rotated.websocket_api_key, app.websocket_api_key)

  const appFlag = ['--app', id]
  const [key] = ((await json(['licenses', 'create', ...appFlag, '--duration', '1d'])).items as { key: string }[]).map(l => l.key) as [string]
  const license = await json(['licenses', 'update', ...appFlag, key, '--levels', '{"tier":"gold"}', '--comment', 'upgraded'])
  assert.deepEqual([license.levels, license.comment], [{ tier: 'gold' }, 'upgraded'])
  assert.equal((await cliHere(['licenses', 'delete', ...appFlag, key])).stdout, `license ${key} deleted`)
  assert.equal((await cliHere(['licenses', 'get', ...appFlag, key])).code, 1)

  const keys = await cliHere(['signing-keys', 'list'])
  assert.match(keys.stdout, /^KID +CREATED_AT +RETIRED_AT\n/)
  const before = (await json(['signing-keys', 'list'])).items as { kid: string }[]
  const fresh = await json(['signing-keys', 'rotate'])
  assert.ok(!before.some(k => k.kid === fresh.kid), 'a new key')

  assert.equal((await cliHere(['apps', 'delete', id])).stdout, `app ${id} deleted`)
  assert.match((await cliHere(['apps', 'get', id])).stderr, /HTTP 404/)
  for (const [args, message] of [
    [['apps', 'update'], /app ID is missing/],
    [['apps', 'update', '1', '--signed-leases', 'yes'], /--signed-leases must be true or false/],
    [['apps', 'delete', 'x'], /app ID must be a number/],
    [['licenses', 'delete', '--app', '1'], /license KEY is missing/],
    [['signing-keys', 'rotate', 'now'], /unexpected argument "now"/]
  ] as const) {
    const res = await cliHere([...args])
    assert.equal(res.code, 2, args.join(' '))
    assert.match(res.stderr, message)
  }
})
