import { before, test } from 'node:test'
import assert from 'node:assert/strict'
import { connect } from 'node:net'
import type { FastifyServerOptions } from 'fastify'
import WebSocket from 'ws'
import { testDatabase, type TestDatabase } from './helpers/database.js'
import { startServer, type TestServer } from './helpers/server.js'
import { TestClient, waitFor } from './helpers/client.js'
import { createApp, createLicense } from './helpers/fixtures.js'
import { defaultMaxConnections, openFilesLimit } from '../src/connection-limits.js'
import { loadConfig } from '../src/config.js'
import { resolveOptions } from '../src/options.js'
import { httpTimeouts } from '../src/server.js'

let db: TestDatabase

before(async t => { db = await testDatabase(t) })

interface Refused { status: number, retryAfter: string | null, message: string }

/** Opens an upgrade and reports how it was refused; fails when it is accepted. */
async function refusedUpgrade (url: string, localAddress?: string): Promise<Refused> {
  const ws = new WebSocket(url, { perMessageDeflate: false, ...(localAddress !== undefined ? { localAddress } : {}) })
  return new Promise((resolve, reject) => {
    ws.once('open', () => { ws.terminate(); reject(new Error('upgrade accepted')) })
    ws.once('error', reject)
    ws.once('unexpected-response', (_req, res) => {
      let body = ''
      res.on('data', chunk => { body += String(chunk) })
      res.on('end', () => {
        resolve({ status: res.statusCode ?? 0, retryAfter: res.headers['retry-after'] ?? null, message: (JSON.parse(body) as { message: string }).message })
        ws.terminate()
      })
    })
  })
}

async function healthy (server: TestServer): Promise<void> {
  assert.equal((await fetch(`${server.url}/healthz`)).status, 200)
  assert.equal((await fetch(`${server.url}/readyz`)).status, 200)
}

test('over MAX_CONNECTIONS_PER_IP an upgrade gets 503 with Retry-After; other IPs and health checks do not', async t => {
  const server = await startServer(t, db, { maxConnectionsPerIp: 3, connectRateLimitMax: 1000 })
  const clients = await Promise.all([1, 2, 3].map(() => TestClient.connect(server.wsUrl)))
  assert.deepEqual(await refusedUpgrade(server.wsUrl), { status: 503, retryAfter: '5', message: 'too many connections from your address' })
  await healthy(server)
  const other = await TestClient.connect(server.wsUrl, {}, '127.0.0.2')
  // One closes: its place is free again.
  await clients[0]!.closeAndWait()
  await waitFor(async () => {
    try {
      clients.push(await TestClient.connect(server.wsUrl))
      return true
    } catch {
      return false
    }
  })
  // A burst is counted exactly: the check and the count happen in one turn of the event loop.
  const burst = await Promise.allSettled(Array.from({ length: 20 }, () => TestClient.connect(server.wsUrl, {}, '127.0.0.3')))
  const accepted = burst.flatMap(r => r.status === 'fulfilled' ? [r.value] : [])
  assert.equal(accepted.length, 3)
  for (const c of [...clients, other, ...accepted]) c.close()
})

test('over MAX_CONNECTIONS every address gets 503 with Retry-After, and the health routes keep answering', async t => {
  const server = await startServer(t, db, { maxConnections: 4, connectRateLimitMax: 1000 })
  const clients = await Promise.all(['127.0.0.1', '127.0.0.2', '127.0.0.3', '127.0.0.4'].map(ip => TestClient.connect(server.wsUrl, {}, ip)))
  for (const ip of ['127.0.0.1', '127.0.0.5']) {
    assert.deepEqual(await refusedUpgrade(server.wsUrl, ip), { status: 503, retryAfter: '5', message: 'this instance is at its connection limit; retry later or elsewhere' })
  }
  await healthy(server)
  const metrics = await (await fetch(`${server.url}/metrics`)).text()
  assert.match(metrics, /licensewire_upgrades_refused_total\{reason="instance"\} 2/)
  for (const c of clients) c.close()
})

test('sessions of one IP that are not authorized are bounded by MAX_UNAUTHORIZED_PER_IP; authorized ones are not', async t => {
  const server = await startServer(t, db, { maxUnauthorizedPerIp: 2, maxConnectionsPerIp: 10, connectRateLimitMax: 1000 })
  const app = await createApp(db.pool)
  const key = await createLicense(db.pool, app.id)
  const a = await TestClient.connect(server.wsUrl)
  assert.equal((await a.initialize(app.key, 'device-a')).status, 1)
  const b = await TestClient.connect(server.wsUrl)
  assert.deepEqual(await refusedUpgrade(server.wsUrl), { status: 503, retryAfter: '5', message: 'too many sessions from your address that are not authorized' })
  // Another address has its own bound.
  const elsewhere = await TestClient.connect(server.wsUrl, {}, '127.0.0.2')
  assert.equal((await a.authorize(key)).status, 1)
  const c = await TestClient.connect(server.wsUrl)
  assert.deepEqual(await refusedUpgrade(server.wsUrl), { status: 503, retryAfter: '5', message: 'too many sessions from your address that are not authorized' })
  for (const client of [a, b, c, elsewhere]) client.close()
})

test('a client that trickles its headers is dropped after the headers timeout, while health checks answer', async t => {
  // Fastify's generic options type leaves out `http`; Fastify() takes it.
  const server = await startServer(t, db, {}, httpTimeouts({ headersTimeoutMs: 1000 }) as FastifyServerOptions)
  const { port } = new URL(server.url)
  const socket = connect(Number(port), '127.0.0.1')
  socket.on('error', () => {})
  const started = Date.now()
  await new Promise<void>(resolve => socket.once('connect', resolve))
  socket.write('GET /ws HTTP/1.1\r\nHost: 127.0.0.1\r\nUpgrade: websocket\r\n')
  const trickle = setInterval(() => socket.write('X'), 200)
  t.after(() => clearInterval(trickle))
  await healthy(server)
  await new Promise(resolve => socket.once('close', resolve))
  clearInterval(trickle)
  const elapsed = Date.now() - started
  // Node's defaults would hold it 60 to 90 s.
  assert.ok(elapsed >= 900 && elapsed < 4000, `closed after ${elapsed} ms`)
})

test('the default MAX_CONNECTIONS is 80 % of the open-files limit, at most 10,000', () => {
  const limits = (soft: string): string => `Limit                     Soft Limit           Hard Limit           Units\nMax open files            ${soft}                524288               files\n`
  assert.equal(openFilesLimit(() => limits('20000')), 20000)
  assert.equal(openFilesLimit(() => limits('unlimited')), undefined)
  assert.equal(openFilesLimit(() => { throw new Error('ENOENT') }), undefined)
  assert.equal(defaultMaxConnections(20000), 10000)
  assert.equal(defaultMaxConnections(1024), 819)
  assert.equal(defaultMaxConnections(undefined), 10000)
  assert.equal(resolveOptions({ connectionString: 'postgres://x' }).maxConnections, defaultMaxConnections())
  assert.equal(resolveOptions({ connectionString: 'postgres://x', maxConnections: 7 }).maxConnections, 7)
  assert.throws(() => resolveOptions({ connectionString: 'postgres://x', maxConnections: 0 }), /invalid option "maxConnections"/)
  assert.throws(() => resolveOptions({ connectionString: 'postgres://x', maxUnauthorizedPerIp: 0 }), /invalid option "maxUnauthorizedPerIp"/)
  const config = loadConfig({ MAX_CONNECTIONS: '500', MAX_CONNECTIONS_PER_IP: '20', MAX_UNAUTHORIZED_PER_IP: '5', HEADERS_TIMEOUT_MS: '3000' })
  assert.deepEqual([config.plugin.maxConnections, config.plugin.maxConnectionsPerIp, config.plugin.maxUnauthorizedPerIp, config.headersTimeoutMs], [500, 20, 5, 3000])
  assert.equal(loadConfig({}).headersTimeoutMs, 10000)
  assert.throws(() => loadConfig({ HEADERS_TIMEOUT_MS: '10' }), /HEADERS_TIMEOUT_MS=10: must be a whole number between 1000 and 300000/)
  assert.throws(() => loadConfig({ HEADERS_TIMEOUT_MS: '300001' }), /HEADERS_TIMEOUT_MS=300001: must be a whole number between 1000 and 300000/)
})
