import { before, describe, test } from 'node:test'
import assert from 'node:assert/strict'
import { testDatabase, type TestDatabase } from './helpers/database.js'
import { startServer, type TestServer } from './helpers/server.js'
import { TestClient } from './helpers/client.js'
import { blacklistClient, createApp, sessionRows, type TestApp } from './helpers/fixtures.js'

let db: TestDatabase
let server: TestServer
let app: TestApp

before(async t => {
  db = await testDatabase(t)
  server = await startServer(t, db)
  app = await createApp(db.pool, { name: 'Init app', version: '3.4.5' })
})

describe('Initialize (type 0)', () => {
  test('Ok binds the session and reports app name and version', async () => {
    const c = await TestClient.connect(server.wsUrl)
    const id = c.send(0, { websocket_api_key: app.key, client_id: 'device-0001' }, 41)
    assert.equal(id, 41)
    assert.deepEqual(await c.next(), { id: 41, app_name: 'Init app', app_version: '3.4.5', status: 1 })
    assert.equal(c.raw[0], '{"id":41,"app_name":"Init app","app_version":"3.4.5","status":1}')
    assert.equal(await sessionRows(db.pool, app.id), 1)
    c.close()
    await c.closed
  })

  test('second Initialize answers 4 and leaves the session as it was', async () => {
    const c = await TestClient.connect(server.wsUrl)
    await c.initialize(app.key)
    assert.deepEqual(await c.request(0, { websocket_api_key: 'X'.repeat(3), client_id: 'x' }), { id: 2, status: 4 })
    assert.deepEqual(await c.request(10), { id: 3, online_users_count: await sessionRows(db.pool, app.id), status: 1 })
    c.close()
  })

  test('api key length other than 21 → 2', async () => {
    const c = await TestClient.connect(server.wsUrl)
    assert.deepEqual(await c.request(0, { websocket_api_key: app.key.slice(1), client_id: 'device-0001' }), { id: 1, status: 2 })
    assert.deepEqual(await c.request(0, { websocket_api_key: app.key + 'A', client_id: 'device-0001' }), { id: 2, status: 2 })
    c.close()
  })

  test('client_id shorter than 4 → 500, longer than 64 → 501, lengths in UTF-16 units', async () => {
    const c = await TestClient.connect(server.wsUrl)
    assert.deepEqual(await c.request(0, { websocket_api_key: app.key, client_id: 'abc' }), { id: 1, status: 500 })
    assert.deepEqual(await c.request(0, { websocket_api_key: app.key, client_id: 'a'.repeat(65) }), { id: 2, status: 501 })
    // Two astral characters are four UTF-16 units: long enough.
    assert.equal((await c.request(0, { websocket_api_key: app.key, client_id: '😀😀' })).status, 1)
    c.close()
  })

  test('length checks come before the app lookup: a short key with a short client_id is 2', async () => {
    const c = await TestClient.connect(server.wsUrl)
    assert.deepEqual(await c.request(0, { websocket_api_key: 'short', client_id: 'a' }), { id: 1, status: 2 })
    c.close()
  })

  test('unknown key → 600; paused app → 601', async () => {
    const paused = await createApp(db.pool, { paused: true })
    const c = await TestClient.connect(server.wsUrl)
    assert.deepEqual(await c.request(0, { websocket_api_key: 'Z'.repeat(21), client_id: 'device-0001' }), { id: 1, status: 600 })
    assert.deepEqual(await c.request(0, { websocket_api_key: paused.key, client_id: 'device-0001' }), { id: 2, status: 601 })
    c.close()
  })

  test('blacklisted client_id → 503 then close 4204', async () => {
    const own = await createApp(db.pool)
    await blacklistClient(db.pool, own.id, 'banned-device')
    const c = await TestClient.connect(server.wsUrl)
    assert.deepEqual(await c.initialize(own.key, 'banned-device'), { id: 1, status: 503 })
    assert.deepEqual(await c.closed, { code: 4204, reason: 'external ID is blacklisted' })
    assert.equal(await sessionRows(db.pool, own.id), 0)
  })

  test('the blacklist is per app', async () => {
    const own = await createApp(db.pool)
    const other = await createApp(db.pool)
    await blacklistClient(db.pool, other.id, 'banned-device')
    const c = await TestClient.connect(server.wsUrl)
    assert.equal((await c.initialize(own.key, 'banned-device')).status, 1)
    c.close()
  })

  test('app at its session limit → 602', async () => {
    const full = await createApp(db.pool, { sessionLimit: 0 })
    const c = await TestClient.connect(server.wsUrl)
    assert.deepEqual(await c.initialize(full.key), { id: 1, status: 602 })
    c.close()
  })

  test('fourth consecutive failure (2, 600, 601) closes 4205 instead of answering', async () => {
    const c = await TestClient.connect(server.wsUrl)
    assert.equal((await c.request(0, { websocket_api_key: 'x', client_id: 'device-0001' })).status, 2)
    assert.equal((await c.request(0, { websocket_api_key: 'Z'.repeat(21), client_id: 'device-0001' })).status, 600)
    assert.equal((await c.request(0, { websocket_api_key: 'x', client_id: 'device-0001' })).status, 2)
    c.send(0, { websocket_api_key: 'x', client_id: 'device-0001' })
    assert.deepEqual(await c.closed, { code: 4205, reason: 'failed to initialize session' })
    assert.equal(c.messages.length, 0)
  })

  test('other statuses neither count nor reset the failures; Ok resets them', async () => {
    const c = await TestClient.connect(server.wsUrl)
    for (let i = 0; i < 3; i++) assert.equal((await c.request(0, { websocket_api_key: 'x', client_id: 'device-0001' })).status, 2)
    assert.equal((await c.request(0, { websocket_api_key: app.key, client_id: 'abc' })).status, 500)
    c.send(0, { websocket_api_key: 'x', client_id: 'device-0001' })
    assert.equal((await c.closed).code, 4205)

    const d = await TestClient.connect(server.wsUrl)
    for (let i = 0; i < 3; i++) assert.equal((await d.request(0, { websocket_api_key: 'x', client_id: 'device-0001' })).status, 2)
    assert.equal((await d.initialize(app.key)).status, 1)
    // Initialized now: further Initialize calls answer 4, which is not a failure.
    for (let i = 0; i < 4; i++) assert.equal((await d.request(0, { websocket_api_key: 'x', client_id: 'device-0001' })).status, 4)
    d.close()
  })

  test('a closed session leaves no row behind', async () => {
    const own = await createApp(db.pool)
    const c = await TestClient.connect(server.wsUrl)
    await c.initialize(own.key)
    assert.equal(await sessionRows(db.pool, own.id), 1)
    await c.closeAndWait()
    const deadline = Date.now() + 3000
    while (await sessionRows(db.pool, own.id) !== 0 && Date.now() < deadline) await new Promise(resolve => setTimeout(resolve, 20))
    assert.equal(await sessionRows(db.pool, own.id), 0)
  })
})
