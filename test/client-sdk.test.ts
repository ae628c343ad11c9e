import { before, describe, test } from 'node:test'
import assert from 'node:assert/strict'
import net from 'node:net'
import { execFile } from 'node:child_process'
import { promisify } from 'node:util'
import WebSocket, { WebSocketServer } from 'ws'
import type { JSONWebKeySet } from 'jose'
import { testDatabase, type TestDatabase } from './helpers/database.js'
import { startServer, type TestServer } from './helpers/server.js'
import { waitFor } from './helpers/client.js'
import { call, TOKEN } from './helpers/admin.js'
import { putFile, sha256 } from './helpers/files.js'
import {
  PASSWORD, accountCount, authorizedSessions, createAccount, createApp, createLicense, sessionRows, type TestApp
} from './helpers/fixtures.js'
import {
  ChecksumError, ClosedError, InvalidArgumentError, LeaseError, LicenseClient, Status, StatusError, verifyLease,
  type BrowserWebSocketConstructor, type LicenseClientOptions, type LicenseInfo, type PanelEvent, type ReconnectingEvent, type RestartedEvent
} from '../src/client/index.js'

// The client SDK (licensewire/client, src/client/) against a real listening server.
let db: TestDatabase
let server: TestServer

before(async t => {
  db = await testDatabase(t)
  server = await startServer(t, db, { adminTokens: [TOKEN], sessionLeaseMs: 600, rateLimitPackets: 1000, connectRateLimitMax: 10000 })
})

let devices = 0
const deviceId = (): string => `sdk-device-${++devices}`

/** A client that is closed when the test ends. */
function client (t: { after: (fn: () => Promise<void>) => void }, app: TestApp, options: Partial<LicenseClientOptions> = {}): LicenseClient {
  const c = new LicenseClient({
    url: server.wsUrl, apiKey: app.key, clientId: deviceId(), reconnect: { initialDelayMs: 20, maxDelayMs: 200 }, ...options
  })
  t.after(() => c.close())
  return c
}

/** Everything a client emits, in order. */
function record (c: LicenseClient): { name: string, event: unknown }[] {
  const seen: { name: string, event: unknown }[] = []
  for (const name of ['panelEvent', 'close', 'reconnecting', 'resumed', 'restarted'] as const) {
    c.on(name, (event: unknown) => { seen.push({ name, event }) })
  }
  return seen
}

async function rejects<T extends Error> (promise: Promise<unknown>, type: new (...args: never[]) => T): Promise<T> {
  try {
    await promise
  } catch (err) {
    assert.ok(err instanceof type, `expected ${type.name}, got ${String(err)}`)
    return err
  }
  assert.fail(`expected ${type.name}, it resolved`)
}

async function statusError (promise: Promise<unknown>, status: number): Promise<StatusError> {
  const err = await rejects(promise, StatusError)
  assert.equal(err.status, status, err.message)
  return err
}

async function sessionIds (appId: number): Promise<{ id: string, suspended_until: string | null }[]> {
  return (await call(server, 'GET', `/apps/${appId}/sessions`)).body.items
}

/**
 * A TCP proxy in front of a server, to break connections as a network would: `cut`
 * destroys both sockets of every connection (a drop without a close frame), `hold`
 * stops forwarding one direction (bytes are kept and sent on `release`), `refuse`
 * destroys new connections at once.
 */
class TcpProxy {
  readonly pairs = new Set<{ client: net.Socket, upstream: net.Socket, held: Buffer[], holding: boolean, muted: boolean }>()
  refusing = false
  private constructor (readonly server: net.Server, public target: number) {}

  static async start (t: { after: (fn: () => Promise<void>) => void }, target: TestServer): Promise<TcpProxy> {
    const proxy: TcpProxy = new TcpProxy(net.createServer(socket => proxy.accept(socket)), Number(new URL(target.url).port))
    await new Promise<void>(resolve => proxy.server.listen(0, '127.0.0.1', resolve))
    t.after(async () => {
      proxy.cut()
      await new Promise(resolve => proxy.server.close(resolve))
    })
    return proxy
  }

  get wsUrl (): string {
    return `ws://127.0.0.1:${(this.server.address() as net.AddressInfo).port}/ws`
  }

  private accept (socket: net.Socket): void {
    if (this.refusing) { socket.destroy(); return }
    const upstream = net.connect(this.target, '127.0.0.1')
    const pair = { client: socket, upstream, held: [] as Buffer[], holding: false, muted: false }
    this.pairs.add(pair)
    socket.on('data', chunk => {
      if (pair.holding) pair.held.push(chunk)
      else upstream.write(chunk)
    })
    upstream.on('data', chunk => { if (!pair.muted) socket.write(chunk) })
    const end = (): void => { socket.destroy(); upstream.destroy(); this.pairs.delete(pair) }
    socket.on('error', end).on('close', end)
    upstream.on('error', end).on('close', end)
  }

  cut (): void {
    for (const pair of this.pairs) { pair.client.destroy(); pair.upstream.destroy() }
    this.pairs.clear()
  }

  /** Client → server bytes are held back from now on. */
  hold (): void {
    for (const pair of this.pairs) pair.holding = true
  }

  /** Server → client bytes are thrown away from now on. */
  mute (): void {
    for (const pair of this.pairs) pair.muted = true
  }

  release (): void {
    for (const pair of this.pairs) {
      pair.holding = false
      for (const chunk of pair.held.splice(0)) pair.upstream.write(chunk)
    }
  }

  /** Nothing passes either way any more, and no socket closes: a dead peer. */
  freeze (): void {
    for (const pair of this.pairs) {
      pair.client.removeAllListeners('data')
      pair.upstream.removeAllListeners('data')
      pair.client.pause()
      pair.upstream.pause()
    }
  }
}

describe('packets: every method resolves an Ok and rejects other statuses with StatusError', () => {
  test('connect, authorizeByLicense, getCurrentLicense, logout', async t => {
    const app = await createApp(db.pool, { name: 'SDK app', version: '3.1.4' })
    const key = await createLicense(db.pool, app.id, { levels: { tier: 'pro' }, comment: 'seat' })
    const c = client(t, app)
    assert.deepEqual(await c.connect(), { app_name: 'SDK app', app_version: '3.1.4' })
    assert.deepEqual(c.app, { app_name: 'SDK app', app_version: '3.1.4' })

    await statusError(c.getCurrentLicense(), Status.NotAuthorized)
    const wrong = await statusError(c.authorizeByLicense('NOSUCH-LICENSE'), Status.LicenseNotFound)
    assert.equal(wrong.statusName, 'LicenseNotFound')
    assert.equal(wrong.type, 2)
    assert.deepEqual(wrong.response, { id: wrong.response.id, license: 'NOSUCH-LICENSE', status: 100 })
    assert.match(wrong.message, /Authorize by license answered status 100 \(LicenseNotFound\)/)

    const auth = await c.authorizeByLicense(key)
    assert.equal(auth.license, key)
    assert.deepEqual(auth.levels, { tier: 'pro' })
    assert.equal(auth.comment, 'seat')
    assert.equal(auth.ip_address, '127.0.0.1')
    assert.equal(typeof auth.time_left, 'number')
    assert.ok(!('id' in auth) && !('status' in auth), 'no id, no status')

    const again = await statusError(c.authorizeByLicense(key), Status.AlreadyAuthorized)
    assert.equal(again.statusName, 'AlreadyAuthorized')

    const current = await c.getCurrentLicense()
    assert.equal(current.license, key)
    assert.ok(current.time_left! > 86000 && current.time_left! <= 86400, String(current.time_left))

    await c.logout()
    await statusError(c.logout(), Status.NotAuthorized)
    assert.equal(await authorizedSessions(db.pool, app.id), 0)
  })

  test('calls made before connect() resolved wait for the session; calls before connect() reject', async t => {
    const app = await createApp(db.pool)
    const c = client(t, app)
    await assert.rejects(c.onlineUsersCount(), /call connect\(\) first/)
    const connected = c.connect()
    const count = c.onlineUsersCount()
    await connected
    assert.equal(await count, 1)
    await assert.rejects(c.connect(), /connect\(\) was called already/)
  })

  test('connect rejects with StatusError when Initialize is refused, and the client is closed', async t => {
    const app = await createApp(db.pool, { paused: true })
    const c = client(t, app)
    const seen = record(c)
    const err = await statusError(c.connect(), Status.AppPaused)
    assert.equal(err.statusName, 'AppPaused')
    assert.deepEqual(seen.map(s => s.name), ['close'])
    await rejects(c.onlineUsersCount(), ClosedError)
  })

  test('connect rejects with ClosedError when nothing listens', async t => {
    const app = await createApp(db.pool)
    const c = client(t, app, { url: 'ws://127.0.0.1:9/ws' })
    const err = await rejects(c.connect(), ClosedError)
    assert.equal(err.code, 1006)
    assert.match(err.message, /cannot connect to ws:\/\/127\.0\.0\.1:9\/ws/)
  })

  test('an upgrade refused with HTTP 429 rejects connect with ClosedError saying so', async t => {
    const limited = await startServer(t, db, { connectRateLimitMax: 1 })
    const app = await createApp(db.pool)
    const first = client(t, app, { url: limited.wsUrl })
    await first.connect()
    const second = client(t, app, { url: limited.wsUrl })
    const seen = record(second)
    const err = await rejects(second.connect(), ClosedError)
    assert.match(err.message, /the server answered the upgrade with HTTP 429/)
    assert.deepEqual(names(seen), ['close'])
  })

  test('accounts: createAccount, authorizeByCredentials, linkLicense, getCurrentAccount', async t => {
    const app = await createApp(db.pool)
    const c = client(t, app)
    await c.connect()
    await statusError(c.getCurrentAccount(), Status.NotAuthorized)
    await c.createAccount('ann@example.com', PASSWORD, { credentialsType: 1, comment: 'from the SDK' })
    await statusError(c.createAccount('Ann@Example.com', PASSWORD, { credentialsType: 1 }), Status.AppUserAlreadyExists)
    assert.equal(await accountCount(db.pool, app.id), 1)

    await statusError(c.authorizeByCredentials('ann@example.com', 'wrong password', { credentialsType: 1 }), Status.AppUserNotFound)
    const account = await c.authorizeByCredentials('ANN@example.com', PASSWORD, { credentialsType: 1 })
    assert.deepEqual(account, { login: 'ann@example.com', levels: {}, comment: 'from the SDK', ip_address: '127.0.0.1', license_required: false })

    const key = await createLicense(db.pool, app.id, { levels: { tier: 'gold' } })
    await c.linkLicense(key)
    await statusError(c.linkLicense(key), Status.LicenseAlreadyLinked)
    const now = await c.getCurrentAccount()
    assert.deepEqual(now.levels, { tier: 'gold' })
    assert.ok(now.time_left! > 86000)

    // Status 5 carries retry_after: the per-IP limit of accounts without a license (3).
    await c.createAccount('second-login', PASSWORD)
    await c.createAccount('third-login', PASSWORD)
    const limited = await statusError(c.createAccount('fourth-login', PASSWORD), Status.TooManyRequests)
    assert.equal(limited.statusName, 'TooManyRequests')
    assert.ok(Number(limited.response.retry_after) > 0, JSON.stringify(limited.response))
  })

  test('files: fileMetadata, fileDownloadUrl, downloadFile whole and resumed with Range, checksums', async t => {
    const app = await createApp(db.pool)
    const key = await createLicense(db.pool, app.id)
    const bytes = Buffer.from(Array.from({ length: 100_000 }, (_, i) => (i * 7 + (i >> 8)) & 0xff))
    assert.equal((await putFile(server, app.id, 'Setup 2-1', bytes)).status, 201)
    const c = client(t, app)
    await c.connect()

    const meta = await c.fileMetadata('Setup 2-1')
    assert.deepEqual(meta, { checksum: sha256(bytes), size: bytes.length, transfer_count: 0 })
    await statusError(c.fileMetadata('Nope'), Status.FileNotFound)
    await statusError(c.stopFileTransfer('Setup 2-1'), Status.FileNotBeingTransferred)
    await statusError(c.fileDownloadUrl('Setup 2-1'), Status.NotAuthorized)

    await c.authorizeByLicense(key)
    const url = await c.fileDownloadUrl('Setup 2-1', { resumeAt: 10 })
    assert.match(url.presigned_url, /^http:\/\/127\.0\.0\.1:\d+\/files\//)
    assert.equal(url.file_size, bytes.length)
    assert.equal(url.file_checksum, sha256(bytes))
    await statusError(c.fileDownloadUrl('Setup 2-1', { resumeAt: bytes.length }), Status.FileInvalidResumeOffset)

    const whole = await c.downloadFile('Setup 2-1')
    assert.equal(whole.resumedAt, 0)
    assert.equal(whole.checksum, sha256(bytes))
    assert.ok(Buffer.from(whole.data!).equals(bytes))

    // Resumed: the first 40,000 bytes are held; only the rest travels.
    const chunks: Uint8Array[] = []
    const tail = await c.downloadFile('Setup 2-1', {
      held: bytes.subarray(0, 40_000), checksum: sha256(bytes), onData: chunk => { chunks.push(chunk) }
    })
    assert.equal(tail.resumedAt, 40_000)
    assert.equal(tail.data, undefined)
    assert.ok(Buffer.concat(chunks).equals(bytes.subarray(40_000)))
    // Counted once the last byte is out, just after the response: waited for, not assumed.
    await waitFor(async () => (await c.fileMetadata('Setup 2-1')).transfer_count === 2)

    // Held bytes that are not the file's: the SHA-256 of the whole shows it.
    const bad = Buffer.from(bytes.subarray(0, 1000))
    bad[5] = bad[5]! ^ 1
    const mismatch = await rejects(c.downloadFile('Setup 2-1', { held: bad }), ChecksumError)
    assert.equal(mismatch.expected, sha256(bytes))
    // A file replaced since the download began.
    await rejects(c.downloadFile('Setup 2-1', { held: bytes.subarray(0, 10), checksum: 'f'.repeat(64) }), ChecksumError)
    await rejects(c.downloadFile('Setup 2-1', { resumeAt: 10 }), InvalidArgumentError)
  })

  test('onlineUsersCount, getVariable, setValue, getValue, deleteValue', async t => {
    const app = await createApp(db.pool)
    assert.equal((await call(server, 'POST', `/apps/${app.id}/variables`, { name: 'config', content: '{"beta":true}' })).status, 201)
    assert.equal((await call(server, 'POST', `/apps/${app.id}/variables`, { name: 'secret', content: 's', protected: true })).status, 201)
    const c = client(t, app)
    await c.connect()
    assert.equal(await c.onlineUsersCount(), 1)
    assert.equal(await c.getVariable('config'), '{"beta":true}')
    await statusError(c.getVariable('missing'), Status.VariableNotFound)
    await statusError(c.getVariable('secret'), Status.NotAuthorized)

    await c.setValue('theme', 'dark', 600)
    await c.setValue('empty', '')
    assert.equal(await c.getValue('theme'), 'dark')
    assert.equal(await c.getValue('empty'), '')
    await c.deleteValue('theme')
    await statusError(c.getValue('theme'), Status.StoreValueNotFound)
    await statusError(c.deleteValue('theme'), Status.StoreValueNotFound)
    for (let i = 0; i < 63; i++) await c.setValue(`k${i}`, 'v')
    await statusError(c.setValue('one-too-many', 'v'), Status.StoreOutOfEntries)
  })

  test('subscribePanelEvents: events arrive as panelEvent; an event that drops the authorization is seen', async t => {
    const app = await createApp(db.pool)
    const key = await createLicense(db.pool, app.id)
    const c = client(t, app)
    const events: PanelEvent[] = []
    c.on('panelEvent', e => { events.push(e) })
    await c.connect()
    await c.authorizeByLicense(key)
    await c.subscribePanelEvents()
    assert.equal((await call(server, 'PATCH', `/apps/${app.id}`, { version: '9.9.9' })).status, 200)
    await waitFor(() => events.length === 1)
    assert.deepEqual(events[0], { event_type: 102, content: { version: '9.9.9' } })
    assert.equal((await call(server, 'POST', `/apps/${app.id}/licenses/${key}/pause`)).status, 200)
    await waitFor(() => events.length === 2)
    assert.deepEqual(events[1], { event_type: 205, content: {} })
    await statusError(c.getCurrentLicense(), Status.NotAuthorized)
    await c.subscribePanelEvents(false)
    assert.equal((await call(server, 'PATCH', `/apps/${app.id}`, { version: '10.0.0' })).status, 200)
    assert.equal(await c.onlineUsersCount(), 1)
    assert.equal(events.length, 2, 'unsubscribed')
  })

  test('blacklist: Ok, then the server closes 4203 and the client does not reconnect; 604 when the list is full', async t => {
    const full = await createApp(db.pool, { blacklistLimit: 0 })
    const refused = client(t, full)
    await refused.connect()
    await statusError(refused.blacklist('debugger'), Status.AppBlacklistsQuotaExceeded)

    const app = await createApp(db.pool)
    const c = client(t, app)
    const seen = record(c)
    await c.connect()
    await c.blacklist('debugger attached')
    await waitFor(() => seen.length > 0)
    assert.deepEqual(seen, [{ name: 'close', event: { code: 4203, reason: 'session was blacklisted' } }])
    const err = await rejects(c.onlineUsersCount(), ClosedError)
    assert.equal(err.code, 4203)
  })

  test('bounded arguments are refused before anything is sent', async t => {
    const app = await createApp(db.pool)
    assert.throws(() => new LicenseClient({ url: server.wsUrl, apiKey: app.key, clientId: 'abc' }), InvalidArgumentError)
    assert.throws(() => new LicenseClient({ url: server.wsUrl, apiKey: 'short', clientId: 'abcd' }), /apiKey: must be exactly 21 characters long/)
    const c = client(t, app)
    await c.connect()
    await rejects(c.authorizeByLicense('short'), InvalidArgumentError)
    await rejects(c.authorizeByLicense('L'.repeat(65)), InvalidArgumentError)
    await rejects(c.authorizeByLicense('ABCDEF-123456', { nonce: 'n'.repeat(129) }), InvalidArgumentError)
    await rejects(c.createAccount('ann', PASSWORD), InvalidArgumentError)
    await rejects(c.createAccount('anna', PASSWORD, { comment: 'c'.repeat(257) }), InvalidArgumentError)
    await rejects(c.blacklist('c'.repeat(257)), InvalidArgumentError)
    await rejects(c.getVariable('ab'), InvalidArgumentError)
    await rejects(c.fileMetadata('abc'), InvalidArgumentError)
    await rejects(c.setValue('k', 'nul\u0000'), InvalidArgumentError)
    await rejects(c.setValue('k', 'v', 1.5), InvalidArgumentError)
    await rejects(c.setValue('k', 'lone \ud800'), InvalidArgumentError)
    const big = await rejects(c.setValue('k', 'x'.repeat(16_400)), InvalidArgumentError)
    assert.match(big.message, /over the server's limit of 16384/)
    // Nothing reached the server: the session is open and fine.
    assert.equal(await c.onlineUsersCount(), 1)
  })
})

describe('signed leases', () => {
  test('the lease of an Authorize verifies offline with the JWKS or one public key; device, nonce, time and app are checked', async t => {
    const app = await createApp(db.pool, { signedLeases: true })
    const key = await createLicense(db.pool, app.id, { levels: { tier: 'pro' } })
    const c = client(t, app)
    await c.connect()
    const nonce = 'c1d9f2e4'
    const auth = await c.authorizeByLicense(key, { nonce })
    assert.equal(typeof auth.lease, 'string')
    const jwks = await (await fetch(`${server.url}/.well-known/jwks.json`)).json() as JSONWebKeySet
    const clientId = `sdk-device-${devices}`

    const claims = await verifyLease(auth.lease!, { jwks, clientId, nonce, appId: app.id, license: key })
    assert.equal(claims.client_id, clientId)
    assert.equal(claims.license, key)
    assert.deepEqual(claims.levels, { tier: 'pro' })
    assert.equal(claims.aud, String(app.id))
    assert.equal(claims.nonce, nonce)
    assert.ok(claims.exp > claims.iat)

    await verifyLease(auth.lease!, { publicKey: jwks.keys[0]!, clientId })
    await rejects(verifyLease(auth.lease!, { jwks, clientId: 'another-device' }), LeaseError)
    await rejects(verifyLease(auth.lease!, { jwks, nonce: 'another' }), LeaseError)
    await rejects(verifyLease(auth.lease!, { jwks, appId: app.id + 1 }), LeaseError)
    await rejects(verifyLease(auth.lease!, { jwks, license: 'OTHER-LICENSE' }), LeaseError)
    const late = await rejects(verifyLease(auth.lease!, { jwks, now: claims.exp + 1 }), LeaseError)
    assert.match(late.message, /exp/)
    const [h, p, s] = auth.lease!.split('.')
    const forged = `${h}.${p}.${s![0] === 'A' ? 'B' : 'A'}${s!.slice(1)}`
    await rejects(verifyLease(forged, { jwks }), LeaseError)

    // Types 15 and 16 carry leases too.
    const current = await c.getCurrentLicense({ nonce: 'second' })
    assert.equal((await verifyLease(current.lease!, { jwks, nonce: 'second' })).license, key)
  })

  test('an account lease names the login', async t => {
    const app = await createApp(db.pool, { signedLeases: true })
    await createAccount(db.pool, app.id, { login: 'Bob-lease' })
    const c = client(t, app)
    await c.connect()
    const account = await c.authorizeByCredentials('bob-lease', PASSWORD, { nonce: 'n1' })
    const jwks = await (await fetch(`${server.url}/.well-known/jwks.json`)).json() as JSONWebKeySet
    const claims = await verifyLease(account.lease!, { jwks, login: 'BOB-LEASE', nonce: 'n1' })
    assert.equal(claims.login, 'Bob-lease')
    const again = await c.getCurrentAccount({ nonce: 'n2' })
    assert.equal((await verifyLease(again.lease!, { jwks, nonce: 'n2' })).login, 'Bob-lease')
  })
})

/** Resolves with the first `name` event the client emits from now on. */
function next<E extends 'close' | 'resumed' | 'restarted' | 'reconnecting'> (c: LicenseClient, name: E, timeoutMs = 10_000): Promise<unknown> {
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`no ${name} event within ${timeoutMs} ms`)), timeoutMs)
    const listener = (event: unknown): void => { clearTimeout(timer); c.off(name, listener); resolve(event) }
    c.on(name, listener)
  })
}

const names = (seen: { name: string }[]): string[] => [...new Set(seen.map(s => s.name))]

describe('reconnecting', () => {
  test('a network drop is healed by resume: the same session, its values and its one slot; a call made meanwhile is answered', async t => {
    const app = await createApp(db.pool)
    const key = await createLicense(db.pool, app.id)
    const proxy = await TcpProxy.start(t, server)
    const c = client(t, app, { url: proxy.wsUrl })
    const seen = record(c)
    await c.connect()
    await c.authorizeByLicense(key)
    await c.setValue('theme', 'dark', 600)
    const resumed = next(c, 'resumed')
    proxy.cut()
    const value = c.getValue('theme')
    assert.deepEqual(await resumed, { attempt: 1 })
    assert.equal(await value, 'dark')
    assert.equal((await c.getCurrentLicense()).license, key)
    assert.deepEqual(names(seen), ['reconnecting', 'resumed'])
    const reconnecting = seen[0]!.event as ReconnectingEvent
    assert.equal(reconnecting.code, 1006)
    assert.ok(reconnecting.delayMs >= 0 && reconnecting.delayMs <= 20, String(reconnecting.delayMs))
    assert.equal(await authorizedSessions(db.pool, app.id), 1)
    assert.equal(await sessionRows(db.pool, app.id), 1)
    // And again: each connection's own Resume-Id is used.
    const twice = next(c, 'resumed')
    proxy.cut()
    await twice
    assert.equal(await c.getValue('theme'), 'dark')
    assert.equal(await sessionRows(db.pool, app.id), 1)
  })

  test('an answer lost in the drop is replayed for the original id: the call does not run twice', async t => {
    const app = await createApp(db.pool)
    const proxy = await TcpProxy.start(t, server)
    const c = client(t, app, { url: proxy.wsUrl })
    const seen = record(c)
    await c.connect()
    // The server creates the account and answers; the answer never arrives.
    proxy.mute()
    const created = c.createAccount('replayed-login', PASSWORD)
    await waitFor(async () => await accountCount(db.pool, app.id) === 1)
    proxy.cut()
    // Run again, it would answer 202 AppUserAlreadyExists.
    await created
    assert.deepEqual(names(seen), ['reconnecting', 'resumed'])
    assert.equal(await accountCount(db.pool, app.id), 1)
    await statusError(c.createAccount('replayed-login', PASSWORD), Status.AppUserAlreadyExists)
  })

  test('resume refused (4401): the client starts over with Initialize, the last authorization and its subscription, transparently', async t => {
    const app = await createApp(db.pool)
    const key = await createLicense(db.pool, app.id)
    const proxy = await TcpProxy.start(t, server)
    const c = client(t, app, { url: proxy.wsUrl })
    const seen = record(c)
    await c.connect()
    await c.authorizeByLicense(key)
    await c.subscribePanelEvents()
    await c.setValue('theme', 'dark', 600)
    proxy.refusing = true
    proxy.cut()
    await waitFor(async () => (await sessionIds(app.id)).some(s => s.suspended_until !== null))
    // An administrator ends the suspended session: its Resume-Id is refused from now on.
    const [suspended] = await sessionIds(app.id)
    assert.equal((await call(server, 'DELETE', `/apps/${app.id}/sessions/${suspended!.id}`)).status, 204)
    const restarted = next(c, 'restarted')
    // A call made while the client cannot reach the server waits for the new session.
    const count = c.onlineUsersCount()
    proxy.refusing = false
    const event = await restarted as RestartedEvent
    assert.equal(await count, 1)
    assert.equal(event.app.app_name, 'Test app')
    assert.equal((event.authorization as LicenseInfo | undefined)?.license, key)
    assert.equal(event.error, undefined)
    assert.ok(!names(seen).includes('resumed'))

    assert.equal((await c.getCurrentLicense()).license, key)
    await statusError(c.getValue('theme'), Status.StoreValueNotFound)
    assert.equal(await authorizedSessions(db.pool, app.id), 1)
    const events: PanelEvent[] = []
    c.on('panelEvent', e => { events.push(e) })
    assert.equal((await call(server, 'PATCH', `/apps/${app.id}`, { version: '4.0.0' })).status, 200)
    await waitFor(() => events.length === 1)
    assert.equal(events[0]!.event_type, 102)

    // The new session is the one a later drop resumes.
    const resumed = next(c, 'resumed')
    proxy.cut()
    await resumed
    assert.equal((await c.getCurrentLicense()).license, key)
    assert.equal(await sessionRows(db.pool, app.id), 1)
  })

  test('a refused re-authorization is reported, and the session carries on unauthorized', async t => {
    const app = await createApp(db.pool)
    const key = await createLicense(db.pool, app.id)
    const proxy = await TcpProxy.start(t, server)
    const c = client(t, app, { url: proxy.wsUrl, resume: false })
    await c.connect()
    await c.authorizeByLicense(key)
    proxy.refusing = true
    proxy.cut()
    await waitFor(async () => (await sessionIds(app.id)).some(s => s.suspended_until !== null))
    assert.equal((await call(server, 'POST', `/apps/${app.id}/licenses/${key}/blacklist`)).status, 200)
    const restarted = next(c, 'restarted')
    proxy.refusing = false
    const event = await restarted as RestartedEvent
    assert.equal(event.authorization, undefined)
    assert.equal(event.error?.status, Status.LicenseBlacklisted)
    await statusError(c.getCurrentLicense(), Status.NotAuthorized)
    assert.equal(await c.onlineUsersCount(), 2, 'this session and the suspended one')
  })

  test('the browser transport (no Resume-Id) starts over after a drop', async t => {
    const app = await createApp(db.pool)
    const key = await createLicense(db.pool, app.id)
    const proxy = await TcpProxy.start(t, server)
    const c = client(t, app, { url: proxy.wsUrl, transport: 'browser', WebSocket: WebSocket as unknown as BrowserWebSocketConstructor })
    const seen = record(c)
    assert.equal((await c.connect()).app_name, 'Test app')
    await c.authorizeByLicense(key)
    const restarted = next(c, 'restarted')
    proxy.cut()
    assert.equal((((await restarted) as RestartedEvent).authorization as LicenseInfo).license, key)
    assert.deepEqual(names(seen), ['reconnecting', 'restarted'])
    assert.equal((await c.getCurrentLicense()).license, key)
    // The dropped session still holds its slot until its resume window ends.
    assert.equal(await authorizedSessions(db.pool, app.id), 2)
  })

  test('a server close rejects pending calls with ClosedError and is not followed by a reconnect (4100)', async t => {
    const app = await createApp(db.pool)
    const proxy = await TcpProxy.start(t, server)
    const c = client(t, app, { url: proxy.wsUrl })
    const seen = record(c)
    await c.connect()
    const [session] = await sessionIds(app.id)
    // A call on its way while the administrator disconnects the session.
    proxy.hold()
    const pending = rejects(c.onlineUsersCount(), ClosedError)
    assert.equal((await call(server, 'DELETE', `/apps/${app.id}/sessions/${session!.id}`)).status, 204)
    await waitFor(async () => await sessionRows(db.pool, app.id) === 0)
    proxy.release()
    const err = await pending
    assert.equal(err.code, 4100)
    assert.equal(err.reason, 'disconnected from panel')
    assert.deepEqual(seen, [{ name: 'close', event: { code: 4100, reason: 'disconnected from panel' } }])
    assert.equal((await rejects(c.getValue('k'), ClosedError)).code, 4100)
  })

  test('an app paused while connected: close 4101, no reconnect', async t => {
    const app = await createApp(db.pool)
    const c = client(t, app)
    const seen = record(c)
    await c.connect()
    const closed = next(c, 'close')
    assert.equal((await call(server, 'PATCH', `/apps/${app.id}`, { paused: true })).status, 200)
    assert.deepEqual(await closed, { code: 4101, reason: 'application paused' })
    await new Promise(resolve => setTimeout(resolve, 100))
    assert.deepEqual(names(seen), ['close'])
  })

  test('a drain (1001): the client reconnects and resumes on another instance', async t => {
    const leaving = await startServer(t, db, { connectRateLimitMax: 10000 })
    const staying = await startServer(t, db, { connectRateLimitMax: 10000 })
    const app = await createApp(db.pool)
    const key = await createLicense(db.pool, app.id)
    const proxy = await TcpProxy.start(t, leaving)
    const c = client(t, app, { url: proxy.wsUrl })
    const seen = record(c)
    await c.connect()
    await c.authorizeByLicense(key)
    await c.setValue('n', key, 600)
    // The load balancer sends new connections to the instance that stays.
    proxy.target = Number(new URL(staying.url).port)
    const resumed = next(c, 'resumed')
    await leaving.close()
    await resumed
    assert.equal((seen[0]!.event as ReconnectingEvent).code, 1001)
    assert.equal(await c.getValue('n'), key)
    assert.equal(await authorizedSessions(db.pool, app.id), 1)
  })

  test('a connection closed at once (1001 from an instance still draining) does not replace the Resume-Id to resume with', async t => {
    const app = await createApp(db.pool)
    const key = await createLicense(db.pool, app.id)
    const proxy = await TcpProxy.start(t, server)
    const draining = new WebSocketServer({ port: 0, host: '127.0.0.1' })
    t.after(() => new Promise(resolve => draining.close(resolve)))
    await new Promise(resolve => draining.once('listening', resolve))
    let refusedWith: string | undefined
    draining.on('headers', headers => { headers.push('Resume-Id: AAAAAAAAAAAAAAAAAAAAAAAA') })
    draining.on('connection', (ws, req) => {
      refusedWith = req.headers['resume-id'] as string
      proxy.target = Number(new URL(server.url).port)
      ws.close(1001, 'server going away')
    })
    const c = client(t, app, { url: proxy.wsUrl })
    await c.connect()
    await c.authorizeByLicense(key)
    await c.setValue('k', 'v', 600)
    proxy.target = (draining.address() as net.AddressInfo).port
    const resumed = next(c, 'resumed')
    proxy.cut()
    assert.deepEqual(await resumed, { attempt: 2 })
    assert.match(String(refusedWith), /^[A-Za-z0-9_-]{24}$/)
    assert.equal(await c.getValue('k'), 'v')
  })

  test('a dead server (nothing heard for deadAfterMs) is dropped; the client reconnects and resumes', async t => {
    const app = await createApp(db.pool)
    const key = await createLicense(db.pool, app.id)
    const proxy = await TcpProxy.start(t, server)
    const c = client(t, app, { url: proxy.wsUrl, keepAlive: { pingAfterMs: 100, deadAfterMs: 400 } })
    await c.connect()
    await c.authorizeByLicense(key)
    const started = Date.now()
    const resumed = next(c, 'resumed')
    proxy.freeze()
    const answer = c.getCurrentLicense()
    await resumed
    assert.ok(Date.now() - started >= 250, `dropped after ${Date.now() - started} ms`)
    assert.equal((await answer).license, key)
    assert.equal(await sessionRows(db.pool, app.id), 1)
  })

  test('close() ends the session at once with 1000: no slot is held for a resume', async t => {
    const app = await createApp(db.pool)
    const key = await createLicense(db.pool, app.id)
    const c = client(t, app)
    const seen = record(c)
    await c.connect()
    await c.authorizeByLicense(key)
    await c.close()
    assert.deepEqual(seen, [{ name: 'close', event: { code: 1000, reason: 'closed by client' } }])
    await waitFor(async () => await sessionRows(db.pool, app.id) === 0)
    assert.equal(await authorizedSessions(db.pool, app.id), 0)
    assert.equal((await rejects(c.onlineUsersCount(), ClosedError)).code, 1000)
  })

  test('after maxAttempts failed attempts the client gives up: close, and pending calls reject', async t => {
    const app = await createApp(db.pool)
    const proxy = await TcpProxy.start(t, server)
    const c = client(t, app, { url: proxy.wsUrl, reconnect: { initialDelayMs: 10, maxDelayMs: 20, maxAttempts: 3 } })
    const seen = record(c)
    await c.connect()
    proxy.refusing = true
    const closed = next(c, 'close')
    proxy.cut()
    const pending = rejects(c.onlineUsersCount(), ClosedError)
    const event = await closed as { code: number, error: Error }
    assert.equal(event.code, 1006)
    assert.match(event.error.message, /gave up reconnecting after 3 attempts/)
    assert.equal((await pending).code, 1006)
    assert.deepEqual(seen.filter(s => s.name === 'reconnecting').map(s => (s.event as ReconnectingEvent).attempt), [1, 2, 3])
  })

  test('reconnect: false: a drop closes the client and rejects pending calls', async t => {
    const app = await createApp(db.pool)
    const proxy = await TcpProxy.start(t, server)
    const c = client(t, app, { url: proxy.wsUrl, reconnect: false })
    const seen = record(c)
    await c.connect()
    proxy.hold()
    const pending = rejects(c.onlineUsersCount(), ClosedError)
    proxy.cut()
    assert.equal((await pending).code, 1006)
    assert.deepEqual(seen, [{ name: 'close', event: { code: 1006, reason: '' } }])
  })
})

describe('examples/client.ts (npm run client) on the SDK', () => {
  test('prints each response as sent and exits 0; a refused Authorize exits 1', async () => {
    const run = promisify(execFile)
    const app = await createApp(db.pool, { name: 'Example app' })
    const key = await createLicense(db.pool, app.id, { levels: { tier: 'pro' } })
    const args = ['--import', 'tsx', 'examples/client.ts', '--url', server.wsUrl, '--api-key', app.key, '--license', key]
    const { stdout } = await run(process.execPath, [...args, '--client-id', 'example-device-1'])
    const answers = stdout.trim().split('\n').map(line => JSON.parse(line) as Record<string, unknown>)
    assert.deepEqual(answers.map(a => [a.id, a.status]), [[1, 1], [2, 1], [3, 1]])
    assert.equal(answers[0]!.app_name, 'Example app')
    assert.deepEqual(answers[2]!.levels, { tier: 'pro' })
    await assert.rejects(run(process.execPath, [...args, '--client-id', 'example-device-2']),
      (err: { code: number, stdout: string, stderr: string }) => err.code === 1 && /"status":502/.test(err.stdout) && /ClientIDMismatch/.test(err.stderr))
    await assert.rejects(run(process.execPath, [...args, '--client-id', 'abc']), (err: { code: number }) => err.code === 64)
    await waitFor(async () => await sessionRows(db.pool, app.id) === 0)
  })
})
