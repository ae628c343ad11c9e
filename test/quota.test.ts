import { before, describe, test } from 'node:test'
import assert from 'node:assert/strict'
import WebSocket from 'ws'
import { slowPool, testDatabase, type TestDatabase } from './helpers/database.js'
import { startServer, type TestServer } from './helpers/server.js'
import { TestClient, waitFor } from './helpers/client.js'
import { authorizedSessions, createApp, createLicense, sessionRows } from './helpers/fixtures.js'
import { bindingRace, quotaRace } from './helpers/races.js'

let db: TestDatabase
let server: TestServer

before(async t => {
  db = await testDatabase(t)
  server = await startServer(t, db, { connectRateLimitMax: 10000 })
})

describe('app session quota on one instance', () => {
  test('200 sockets race for 50 slots: exactly 50 Ok; 10 logouts free exactly 10', async () => {
    await quotaRace(db, [server.wsUrl])
  })

  test('20 client_ids race for one unbound license: one binds, the rest get 502', async () => {
    await bindingRace(db, [server.wsUrl])
  })

  test('a client that closes and at once reconnects finds its slot free', async t => {
    const app = await createApp(db.pool, { sessionLimit: 1 })
    const key = await createLicense(db.pool, app.id)
    // Releases take 300 ms here: without waiting for them the reconnect would get 602.
    const slow = await startServer(t, { ...db, real: false, pool: slowPool(db.pool, 'lw_end_session', 300) }, { migrate: false, events: 'local' })
    const a = await TestClient.connect(slow.wsUrl)
    await a.initialize(app.key, 'device-same')
    assert.equal((await a.authorize(key)).status, 1)
    await a.closeAndWait()
    const b = await TestClient.connect(slow.wsUrl)
    assert.equal((await b.initialize(app.key, 'device-same')).status, 1)
    assert.equal((await b.authorize(key)).status, 1)
    b.close()
  })

  test('a dead peer (no pong) is terminated, and its slot released when its resume window ends', async t => {
    const app = await createApp(db.pool)
    const key = await createLicense(db.pool, app.id)
    const quick = await startServer(t, db, { heartbeatMs: 150, resumeWindowMs: 300, sessionLeaseMs: 1500 })
    const ws = new WebSocket(quick.wsUrl, { autoPong: false })
    const messages: Record<string, unknown>[] = []
    ws.on('message', d => messages.push(JSON.parse(d.toString()) as Record<string, unknown>))
    await new Promise(resolve => ws.once('open', resolve))
    ws.send(JSON.stringify({ type: 0, id: 1, websocket_api_key: app.key, client_id: 'silent-device' }))
    ws.send(JSON.stringify({ type: 2, id: 2, license: key }))
    await waitFor(() => messages.length === 2)
    assert.equal(messages[1]!.status, 1)
    assert.equal(await authorizedSessions(db.pool, app.id), 1)
    const code = await new Promise<number>(resolve => ws.once('close', c => resolve(c)))
    assert.equal(code, 1006)
    await waitFor(async () => await authorizedSessions(db.pool, app.id) === 0 && await sessionRows(db.pool, app.id) === 0)
  })

  test('an instance that lost its lease closes its sessions (4000) and starts clean', async t => {
    const app = await createApp(db.pool)
    const key = await createLicense(db.pool, app.id)
    const leased = await startServer(t, db, { sessionLeaseMs: 600 })
    const c = await TestClient.connect(leased.wsUrl)
    await c.initialize(app.key)
    assert.equal((await c.authorize(key)).status, 1)
    // As if a peer had swept us: our row, sessions and slots are gone.
    await db.pool.query('DELETE FROM instances WHERE id = $1', [leased.app.licensewireHub.instanceId])
    assert.deepEqual(await c.closed, { code: 4000, reason: 'internal server error' })
    await waitFor(async () => await authorizedSessions(db.pool, app.id) === 0 && await sessionRows(db.pool, app.id) === 0)
    const d = await TestClient.connect(leased.wsUrl)
    assert.equal((await d.initialize(app.key)).status, 1)
    assert.equal((await d.authorize(key)).status, 1)
    d.close()
  })
})
