import { before, describe, test } from 'node:test'
import assert from 'node:assert/strict'
import { connect } from 'node:net'
import { slowPool, testDatabase, type TestDatabase } from './helpers/database.js'
import { startServer, type TestServer } from './helpers/server.js'
import { TestClient } from './helpers/client.js'
import { authorizedSessions, createApp, createLicense, sessionRows, type TestApp } from './helpers/fixtures.js'

let db: TestDatabase
let server: TestServer
let app: TestApp

before(async t => {
  db = await testDatabase(t)
  server = await startServer(t, db, { connectRateLimitMax: 1000 })
  app = await createApp(db.pool)
})

function rawUpgrade (port: number, path: string): Promise<string> {
  return new Promise((resolve, reject) => {
    const socket = connect(port, '127.0.0.1', () => {
      socket.write(`GET ${path} HTTP/1.1\r\nHost: x\r\nConnection: Upgrade\r\nUpgrade: websocket\r\n` +
        'Sec-WebSocket-Version: 13\r\nSec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\n\r\n')
    })
    let data = ''
    socket.on('data', chunk => { data += chunk.toString() })
    socket.on('close', () => resolve(data))
    socket.on('error', reject)
    setTimeout(() => { socket.destroy(); resolve(data) }, 2000)
  })
}

describe('health, readiness and metrics', () => {
  test('/healthz and /readyz answer 200; /metrics speaks Prometheus', async () => {
    assert.deepEqual(await (await fetch(`${server.url}/healthz`)).json(), { status: 'ok' })
    const ready = await fetch(`${server.url}/readyz`)
    assert.equal(ready.status, 200)
    assert.deepEqual(await ready.json(), { status: 'ready' })
    const c = await TestClient.connect(server.wsUrl)
    await c.initialize(app.key)
    const metrics = await (await fetch(`${server.url}/metrics`)).text()
    assert.match(metrics, /^licensewire_open_sockets \d+$/m)
    assert.match(metrics, /^licensewire_packets_total\{type="initialize",status="1"\} \d+$/m)
    assert.match(metrics, /^licensewire_handler_seconds_bucket\{le="0\.005",type="initialize"\} \d+$/m)
    assert.match(metrics, /^licensewire_pool_clients\{state="total"\} \d+$/m)
    c.close()
  })
})

describe('connect limit and stray upgrades', () => {
  test('upgrades over the per-IP limit get HTTP 429 with Retry-After', async t => {
    const limited = await startServer(t, db, { connectRateLimitMax: 2, connectRateLimitWindowMs: 60000 })
    const a = await TestClient.connect(limited.wsUrl)
    const b = await TestClient.connect(limited.wsUrl)
    await assert.rejects(TestClient.connect(limited.wsUrl), /HTTP 429/)
    const port = Number(new URL(limited.url).port)
    assert.match(await rawUpgrade(port, '/ws'), /^HTTP\/1\.1 429[\s\S]*retry-after: \d+/i)
    // Health checks are outside every limit.
    assert.equal((await fetch(`${limited.url}/healthz`)).status, 200)
    a.close()
    b.close()
  })

  test('an upgrade to an unknown path gets 404 and does not keep the server from closing', async t => {
    const own = await startServer(t, db)
    const port = Number(new URL(own.url).port)
    assert.match(await rawUpgrade(port, '/nope'), /^HTTP\/1\.1 404/)
    const started = Date.now()
    await own.close()
    assert.ok(Date.now() - started < 2000, `close took ${Date.now() - started} ms`)
  })
})

describe('graceful shutdown', () => {
  test('in-flight packets are answered, then 1001 "server going away", and the instance gives up its slots (resumption off)', async t => {
    const own = await createApp(db.pool)
    const keys = await Promise.all([createLicense(db.pool, own.id), createLicense(db.pool, own.id)])
    const draining = await startServer(t, { ...db, real: false, pool: slowPool(db.pool, 'lw_authorize_license', 400) }, { migrate: false, events: 'local', resumeWindowMs: 0 })
    const a = await TestClient.connect(draining.wsUrl)
    const b = await TestClient.connect(draining.wsUrl)
    await a.initialize(own.key, 'device-00a1')
    await b.initialize(own.key, 'device-00b1')
    assert.equal((await a.authorize(keys[0])).status, 1)
    b.send(2, { license: keys[1] })
    await new Promise(resolve => setTimeout(resolve, 50))
    const closing = draining.close()
    const ready = await fetch(`${draining.url}/readyz`).then(r => r.status, () => 503)
    assert.equal(ready, 503)
    assert.equal((await b.next()).status, 1, 'the authorize in flight is answered')
    assert.deepEqual(await a.closed, { code: 1001, reason: 'server going away' })
    assert.deepEqual(await b.closed, { code: 1001, reason: 'server going away' })
    await closing
    assert.equal(await authorizedSessions(db.pool, own.id), 0)
    assert.equal(await sessionRows(db.pool, own.id), 0)
  })
})
