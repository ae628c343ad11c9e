import { before, describe, test } from 'node:test'
import assert from 'node:assert/strict'
import { testDatabase, type TestDatabase } from './helpers/database.js'
import { startServer, type TestServer } from './helpers/server.js'
import { TestClient, waitFor } from './helpers/client.js'
import { call, TOKEN } from './helpers/admin.js'
import { authorizedSessions, createApp, createLicense, type TestApp } from './helpers/fixtures.js'

// On a real Postgres the admin call goes to one instance and the sockets live on
// another, so every effect crosses LISTEN/NOTIFY. On PGlite there is one instance.
let db: TestDatabase
let admin: TestServer
let live: TestServer

before(async t => {
  db = await testDatabase(t)
  admin = await startServer(t, db, { adminTokens: [TOKEN] })
  live = db.real ? await startServer(t, db) : admin
})

/** What JSON.parse makes of the event id literal (the raw text is asserted separately). */
const EVENT_ID = Number('18446744073709551615')
const frame = (type: number, content = '{}'): string => `{"id":18446744073709551615,"event_type":${type},"content":${content}}`

interface Seat {
  client: TestClient
  app: TestApp
  key: string
}

/** An authorized session on the live instance, subscribed to panel events unless told not to. */
async function seat (app?: TestApp, subscribed = true, clientId = 'device-live'): Promise<Seat> {
  app ??= await createApp(db.pool)
  const key = await createLicense(db.pool, app.id)
  const client = await TestClient.connect(live.wsUrl)
  assert.equal((await client.initialize(app.key, clientId)).status, 1)
  assert.equal((await client.authorize(key)).status, 1)
  if (subscribed) assert.deepEqual(await client.request(17, { subscribed: true }), { id: 3, status: 1 })
  return { client, app, key }
}

async function withinTwoSeconds<T> (work: Promise<T>): Promise<T> {
  const started = Date.now()
  const result = await work
  assert.ok(Date.now() - started < 2000, `took ${Date.now() - started} ms`)
  return result
}

describe('type 17 — panel events subscription', () => {
  test('answers 1, is idempotent, and checks its field', async () => {
    const { client } = await seat(undefined, false)
    assert.deepEqual(await client.request(17, { subscribed: true }), { id: 3, status: 1 })
    assert.deepEqual(await client.request(17, { subscribed: true }), { id: 4, status: 1 })
    assert.deepEqual(await client.request(17, { subscribed: false }), { id: 5, status: 1 })
    client.send(17, { subscribed: 'yes' })
    assert.deepEqual(await client.closed, { code: 4302, reason: 'invalid request body' })
  })
})

describe('app events reach live sessions', () => {
  test('app paused: event 101 to subscribed sessions, close 4101 for all, slots freed', async () => {
    const a = await seat()
    const b = await seat(a.app, false, 'device-other')
    assert.equal((await call(admin, 'PATCH', `/apps/${a.app.id}`, { paused: true })).status, 200)
    assert.deepEqual(await withinTwoSeconds(a.client.closed), { code: 4101, reason: 'application paused' })
    assert.deepEqual(await b.client.closed, { code: 4101, reason: 'application paused' })
    assert.deepEqual(a.client.raw.slice(-1), [frame(101)])
    assert.equal(b.client.raw.length, 2, 'no event frame for the unsubscribed session')
    await waitFor(async () => await authorizedSessions(db.pool, a.app.id) === 0)
  })

  test('app deleted: event 100, close 4102', async () => {
    const a = await seat()
    assert.equal((await call(admin, 'DELETE', `/apps/${a.app.id}`)).status, 204)
    assert.deepEqual(await withinTwoSeconds(a.client.closed), { code: 4102, reason: 'application deleted' })
    assert.deepEqual(a.client.raw.slice(-1), [frame(100)])
  })

  test('app version changed: event 102 with the version; the session stays', async () => {
    const a = await seat()
    assert.equal((await call(admin, 'PATCH', `/apps/${a.app.id}`, { version: '9.8.7' })).status, 200)
    await withinTwoSeconds(waitFor(() => a.client.raw.length === 4))
    assert.equal(a.client.raw[3], frame(102, '{"version":"9.8.7"}'))
    assert.equal((await a.client.next()).event_type, 102)
    assert.equal((await a.client.request(15)).status, 1)
    a.client.close()
  })

  test('session disconnected from the panel: event 1, close 4100, only that session', async () => {
    const a = await seat()
    const b = await seat(a.app, true, 'device-stays')
    const { body } = await call(admin, 'GET', `/apps/${a.app.id}/sessions`)
    const target = (body.items as { id: string, client_id: string }[]).find(s => s.client_id === 'device-live')!
    assert.equal((await call(admin, 'DELETE', `/apps/${a.app.id}/sessions/${target.id}`)).status, 204)
    assert.deepEqual(await withinTwoSeconds(a.client.closed), { code: 4100, reason: 'disconnected from panel' })
    assert.deepEqual(a.client.raw.slice(-1), [frame(1)])
    assert.equal((await b.client.request(15)).status, 1)
    await waitFor(async () => await authorizedSessions(db.pool, a.app.id) === 1)
    b.client.close()
  })

  test('client_id blacklisted: close 4204 for that client only', async () => {
    const a = await seat()
    const b = await seat(a.app, true, 'device-fine')
    assert.equal((await call(admin, 'POST', `/apps/${a.app.id}/blacklist`, { client_id: 'device-live' })).status, 201)
    assert.deepEqual(await withinTwoSeconds(a.client.closed), { code: 4204, reason: 'external ID is blacklisted' })
    assert.equal((await b.client.request(10)).status, 1)
    b.client.close()
  })
})

describe('license events reach the sessions holding the license', () => {
  const dropping: [string, string, number][] = [
    ['blacklist', 'blacklist', 201],
    ['reinitialize', 'reinitialize', 203],
    ['pause', 'pause', 205]
  ]
  for (const [name, action, event] of dropping) {
    test(`${name}: event ${event} and the authorization is dropped with its slot`, async () => {
      const a = await seat()
      const other = await seat(a.app, true, 'device-bystander')
      assert.equal((await call(admin, 'POST', `/apps/${a.app.id}/licenses/${a.key}/${action}`, {})).status, 200)
      assert.deepEqual(await withinTwoSeconds(a.client.next()), { id: EVENT_ID, event_type: event, content: {} })
      assert.equal(a.client.raw.at(-1), frame(event))
      assert.deepEqual(await a.client.request(15), { id: 4, status: 3 })
      assert.equal(await authorizedSessions(db.pool, a.app.id), 1)
      assert.equal(other.client.messages.length, 0, 'a session holding another license hears nothing')
      for (const s of [a, other]) s.client.close()
    })
  }

  test('delete: event 204 and the authorization is dropped with its slot', async () => {
    const a = await seat()
    assert.equal((await call(admin, 'DELETE', `/apps/${a.app.id}/licenses/${a.key}`)).status, 204)
    assert.equal(await withinTwoSeconds(a.client.next().then(m => m.event_type)), 204)
    assert.deepEqual(await a.client.request(15), { id: 4, status: 3 })
    assert.equal(await authorizedSessions(db.pool, a.app.id), 0)
    a.client.close()
  })

  test('reset-client: event 200; the session keeps its authorization', async () => {
    const a = await seat()
    assert.equal((await call(admin, 'POST', `/apps/${a.app.id}/licenses/${a.key}/reset-client`, {})).status, 200)
    assert.equal(await withinTwoSeconds(a.client.next().then(m => m.event_type)), 200)
    assert.equal((await a.client.request(15)).status, 1)
    assert.equal(await authorizedSessions(db.pool, a.app.id), 1)
    a.client.close()
  })

  test('unblacklist and unpause: events 202 and 206 without dropping anything', async () => {
    const a = await seat()
    // Changed behind the API's back, so the session still holds the license.
    await db.pool.query('UPDATE licenses SET blacklisted_at = now(), paused_at = now() WHERE app_id = $1 AND key = $2', [a.app.id, a.key])
    assert.equal((await call(admin, 'POST', `/apps/${a.app.id}/licenses/${a.key}/unblacklist`, {})).status, 200)
    assert.equal(await withinTwoSeconds(a.client.next().then(m => m.event_type)), 202)
    assert.equal((await call(admin, 'POST', `/apps/${a.app.id}/licenses/${a.key}/unpause`, {})).status, 200)
    assert.equal(await withinTwoSeconds(a.client.next().then(m => m.event_type)), 206)
    assert.equal((await a.client.request(15)).status, 1)
    a.client.close()
  })

  test('a license that runs out while held: event 2 and the authorization dropped, with no client call', async () => {
    const app = await createApp(db.pool)
    const key = await createLicense(db.pool, app.id, { durationSeconds: 1 })
    const c = await TestClient.connect(live.wsUrl)
    await c.initialize(app.key)
    assert.equal((await c.authorize(key)).status, 1)
    assert.deepEqual(await c.request(17, { subscribed: true }), { id: 3, status: 1 })
    const started = Date.now()
    assert.equal(c.raw.length, 3)
    const event = await c.next(4000)
    assert.deepEqual(event, { id: EVENT_ID, event_type: 2, content: {} })
    assert.ok(Date.now() - started < 3500)
    assert.equal(await authorizedSessions(db.pool, app.id), 0)
    assert.deepEqual(await c.request(15), { id: 4, status: 3 })
    c.close()
  })

  test('an extended license is not dropped at its old expiry', async () => {
    const app = await createApp(db.pool)
    const key = await createLicense(db.pool, app.id, { durationSeconds: 1 })
    const c = await TestClient.connect(live.wsUrl)
    await c.initialize(app.key)
    assert.equal((await c.authorize(key)).status, 1)
    assert.equal((await call(admin, 'POST', `/apps/${app.id}/licenses/${key}/extend`, { duration: '1h' })).status, 200)
    await new Promise(resolve => setTimeout(resolve, 2500))
    assert.equal((await c.request(15)).status, 1)
    assert.equal(await authorizedSessions(db.pool, app.id), 1)
    c.close()
  })
})
