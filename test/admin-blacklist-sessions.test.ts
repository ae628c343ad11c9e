import { before, test } from 'node:test'
import assert from 'node:assert/strict'
import { randomUUID } from 'node:crypto'
import { testDatabase, type TestDatabase } from './helpers/database.js'
import { startServer, type TestServer } from './helpers/server.js'
import { onEnd } from './helpers/cleanup.js'
import { TestClient } from './helpers/client.js'
import { createApp, createLicense } from './helpers/fixtures.js'
import { ISO, TOKEN, call, recordEvents } from './helpers/admin.js'
import type { LiveEvent } from '../src/events.js'

let db: TestDatabase
let server: TestServer
let events: LiveEvent[]
const clients: TestClient[] = []

before(async t => {
  db = await testDatabase(t)
  server = await startServer(t, db, { adminTokens: [TOKEN] })
  events = recordEvents(server)
  onEnd(t, async () => { for (const client of clients) client.close() })
})

test('client-id blacklist: add, list, conflict, remove', async () => {
  const app = await createApp(db.pool)
  events.length = 0
  const empty = await call(server, 'GET', `/apps/${app.id}/blacklist`)
  assert.equal(empty.status, 200)
  assert.deepEqual(empty.body, { items: [] })

  const added = await call(server, 'POST', `/apps/${app.id}/blacklist`, { client_id: 'device-0001', comment: 'abuse' })
  assert.equal(added.status, 201)
  assert.deepEqual(Object.keys(added.body).sort(), ['client_id', 'comment', 'created_at', 'source'])
  assert.equal(added.body.client_id, 'device-0001')
  assert.equal(added.body.comment, 'abuse')
  assert.equal(added.body.source, 'admin')
  assert.match(added.body.created_at, ISO)
  assert.deepEqual(events.splice(0), [{ type: 'client_blacklisted', appId: app.id, clientId: 'device-0001' }])
  const plain = await call(server, 'POST', `/apps/${app.id}/blacklist`, { client_id: 'device-0002' })
  assert.equal(plain.body.comment, null)
  events.length = 0

  const dup = await call(server, 'POST', `/apps/${app.id}/blacklist`, { client_id: 'device-0001' })
  assert.equal(dup.status, 409)
  assert.deepEqual(dup.body, { statusCode: 409, error: 'Conflict', message: 'body/client_id is blacklisted already' })
  assert.deepEqual(events, [])

  const list = await call(server, 'GET', `/apps/${app.id}/blacklist`)
  assert.deepEqual(list.body.items.map((e: { client_id: string }) => e.client_id).sort(), ['device-0001', 'device-0002'])
  assert.deepEqual(list.body.items.find((e: { client_id: string }) => e.client_id === 'device-0001'), added.body)

  for (const [body, message] of [
    [{}, /^body must have required property 'client_id'$/],
    [{ client_id: 'abc' }, /^body\/client_id must NOT have fewer than 4 characters$/],
    [{ client_id: 'x'.repeat(65) }, /^body\/client_id must NOT have more than 64 characters$/],
    [{ client_id: 'device-0003', comment: ['a', 'b'] }, /body\/comment/]
  ] as const) {
    const res = await call(server, 'POST', `/apps/${app.id}/blacklist`, body)
    assert.equal(res.status, 400, JSON.stringify(body))
    assert.match(res.body.message, message)
  }

  const removed = await call(server, 'DELETE', `/apps/${app.id}/blacklist/device-0001`)
  assert.equal(removed.status, 204)
  const gone = await call(server, 'DELETE', `/apps/${app.id}/blacklist/device-0001`)
  assert.equal(gone.status, 404)
  assert.equal(gone.body.message, 'client id is not blacklisted')
  assert.deepEqual((await call(server, 'GET', `/apps/${app.id}/blacklist`)).body.items.map((e: { client_id: string }) => e.client_id), ['device-0002'])

  for (const [method, path, body] of [
    ['GET', '/apps/999999/blacklist'], ['POST', '/apps/999999/blacklist', { client_id: 'device-0001' }],
    ['DELETE', '/apps/999999/blacklist/device-0002']
  ] as const) {
    const res = await call(server, method, path, body)
    assert.equal(res.status, 404, `${method} ${path}`)
    assert.equal(res.body.message, 'app 999999 not found')
  }
  assert.equal((await call(server, 'GET', '/apps/zero/blacklist')).status, 400)
})

test('the blacklist refuses new sessions of that client', async () => {
  const app = await createApp(db.pool)
  assert.equal((await call(server, 'POST', `/apps/${app.id}/blacklist`, { client_id: 'device-bad1' })).status, 201)
  const client = await TestClient.connect(server.wsUrl)
  clients.push(client)
  const answer = await client.initialize(app.key, 'device-bad1')
  assert.equal(answer.status, 503)
})

test('sessions: listed across instances with their license; DELETE publishes the disconnect', async () => {
  const app = await createApp(db.pool)
  const key = await createLicense(db.pool, app.id)
  const authorized = await TestClient.connect(server.wsUrl)
  const idle = await TestClient.connect(server.wsUrl)
  clients.push(authorized, idle)
  assert.equal((await authorized.initialize(app.key, 'device-0001')).status, 1)
  assert.equal((await authorized.authorize(key)).status, 1)
  assert.equal((await idle.initialize(app.key, 'device-0002')).status, 1)
  // A session held by another live instance.
  const elsewhere = randomUUID()
  const remoteSession = randomUUID()
  await db.pool.query("INSERT INTO instances (id, lease_expires_at) VALUES ($1, now() + interval '1 hour')", [elsewhere])
  await db.pool.query(
    "INSERT INTO sessions (id, instance_id, app_id, client_id, ip_address) VALUES ($1, $2, $3, 'device-0003', '192.0.2.7')",
    [remoteSession, elsewhere, app.id])

  const res = await call(server, 'GET', `/apps/${app.id}/sessions`)
  assert.equal(res.status, 200)
  const items: Record<string, unknown>[] = res.body.items
  assert.equal(items.length, 3)
  for (const item of items) {
    assert.deepEqual(Object.keys(item).sort(), ['authorized_at', 'client_id', 'id', 'initialized_at', 'instance_id', 'ip_address', 'license', 'login', 'suspended_until'])
    assert.match(String(item.initialized_at), ISO)
  }
  const byClient = Object.fromEntries(items.map(i => [i.client_id, i]))
  assert.equal(byClient['device-0001']!.license, key)
  assert.match(String(byClient['device-0001']!.authorized_at), ISO)
  assert.equal(byClient['device-0002']!.license, null)
  assert.equal(byClient['device-0002']!.authorized_at, null)
  assert.equal(byClient['device-0003']!.instance_id, elsewhere)
  assert.equal(byClient['device-0003']!.ip_address, '192.0.2.7')
  assert.equal(byClient['device-0001']!.instance_id, byClient['device-0002']!.instance_id)

  const app2 = await createApp(db.pool)
  assert.deepEqual((await call(server, 'GET', `/apps/${app2.id}/sessions`)).body, { items: [] })

  events.length = 0
  const gone = await call(server, 'DELETE', `/apps/${app.id}/sessions/${remoteSession}`)
  assert.equal(gone.status, 204)
  assert.deepEqual(events.splice(0), [{ type: 'session_disconnected', appId: app.id, sessionId: remoteSession }])

  const otherApp = await call(server, 'DELETE', `/apps/${app2.id}/sessions/${remoteSession}`)
  assert.equal(otherApp.status, 404, 'a session of another app')
  assert.equal(otherApp.body.message, 'session not found')
  assert.equal((await call(server, 'DELETE', `/apps/${app.id}/sessions/${randomUUID()}`)).status, 404)
  assert.equal((await call(server, 'DELETE', `/apps/999999/sessions/${randomUUID()}`)).body.message, 'app 999999 not found')
  const bad = await call(server, 'DELETE', `/apps/${app.id}/sessions/not-a-uuid`)
  assert.equal(bad.status, 400)
  assert.equal(bad.body.message, 'params/sessionId must match format "uuid"')
  assert.equal((await call(server, 'GET', '/apps/999999/sessions')).status, 404)
  assert.deepEqual(events, [])
})
