import { before, test } from 'node:test'
import assert from 'node:assert/strict'
import { execFile } from 'node:child_process'
import { randomUUID } from 'node:crypto'
import { promisify } from 'node:util'
import { testDatabase, type TestDatabase } from './helpers/database.js'
import { startServer, type TestServer } from './helpers/server.js'
import { TOKEN, recordEvents } from './helpers/admin.js'
import { main } from '../src/cli/main.js'
import type { LiveEvent } from '../src/events.js'

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
  assert.match((await cliHere(['blacklist', 'list', ...appFlag])).stdout, /^CLIENT_ID +COMMENT +CREATED_AT\ndevice-0042 +abuse +\d{4}-/)
  assert.equal((await cliHere(['blacklist', 'remove', ...appFlag, 'device-0042'])).code, 0)

  const sessions = await cliHere(['sessions', ...appFlag])
  assert.equal(sessions.stdout, '(none)')
  assert.deepEqual(JSON.parse((await cliHere(['sessions', ...appFlag, '--json'])).stdout), { items: [] })
  const sessionId = randomUUID()
  const instance = randomUUID()
  await db.pool.query("INSERT INTO instances (id, lease_expires_at) VALUES ($1, now() + interval '1 hour')", [instance])
  await db.pool.query("INSERT INTO sessions (id, instance_id, app_id, client_id) VALUES ($1, $2, $3, 'device-0007')", [sessionId, instance, app.id])
  assert.match((await cliHere(['sessions', ...appFlag])).stdout, new RegExp(`^${sessionId} +device-0007 +- +- +${instance} `, 'm'))
  events.length = 0
  const disconnected = await cliHere(['disconnect', ...appFlag, sessionId])
  assert.equal(disconnected.code, 0, disconnected.stderr)
  assert.equal(disconnected.stdout, `session ${sessionId} disconnected`)
  assert.deepEqual(events, [{ type: 'session_disconnected', appId: app.id, sessionId }])
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
    [['apps', 'list', '--colour'], /Unknown option '--colour'/]
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
