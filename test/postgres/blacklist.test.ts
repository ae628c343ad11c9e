import { before, test } from 'node:test'
import assert from 'node:assert/strict'
import { testDatabase, type TestDatabase } from '../helpers/database.js'
import { startServer, type TestServer } from '../helpers/server.js'
import { TestClient, waitFor } from '../helpers/client.js'
import { authorizedSessions, blacklistEntries, createApp, createLicense, licenseRow, type TestApp } from '../helpers/fixtures.js'

// Packet 6 on one instance, its effects on the sessions of another, over one real Postgres.
let db: TestDatabase
let a: TestServer
let b: TestServer

before(async t => {
  db = await testDatabase(t)
  assert.ok(db.real, 'these tests need DATABASE_URL')
  a = await startServer(t, db)
  b = await startServer(t, db)
})

const EVENT_201 = '{"id":18446744073709551615,"event_type":201,"content":{}}'

async function session (server: TestServer, app: TestApp, clientId: string, license?: string, subscribed = false): Promise<TestClient> {
  const c = await TestClient.connect(server.wsUrl)
  assert.equal((await c.initialize(app.key, clientId)).status, 1)
  if (license !== undefined) assert.equal((await c.authorize(license)).status, 1)
  if (subscribed) assert.equal((await c.request(17, { subscribed: true })).status, 1)
  return c
}

test('a session blacklists itself on one instance: the other instance closes its client_id 4204 and drops the license with event 201', async () => {
  const app = await createApp(db.pool)
  const key = await createLicense(db.pool, app.id)
  const issuer = await session(a, app, 'device-x', key, true)
  const twin = await session(b, app, 'device-x', key, true)
  const idleTwin = await session(b, app, 'device-x')
  await db.pool.query('UPDATE licenses SET client_id = NULL WHERE app_id = $1 AND key = $2', [app.id, key])
  const holder = await session(b, app, 'device-y', key, true)
  // Instance b now answers type 15 for the license from its cache: the blacklisting must evict it.
  assert.equal((await holder.request(15)).status, 1)
  assert.equal((await holder.request(15)).status, 1)
  assert.equal(await authorizedSessions(db.pool, app.id), 3)

  const started = Date.now()
  assert.deepEqual(await issuer.request(6, { comment: 'leaked' }), { id: 4, status: 1 })
  assert.deepEqual(await issuer.closed, { code: 4203, reason: 'session was blacklisted' })
  assert.equal(issuer.raw.length, 4, 'the issuing session gets no event frame')

  assert.deepEqual(await twin.closed, { code: 4204, reason: 'external ID is blacklisted' })
  assert.equal(twin.raw.at(-1), EVENT_201, 'event 201 before the close')
  assert.deepEqual(await idleTwin.closed, { code: 4204, reason: 'external ID is blacklisted' })
  assert.equal(idleTwin.raw.length, 1)
  assert.equal((await holder.next()).event_type, 201)
  assert.ok(Date.now() - started < 2000, `took ${Date.now() - started} ms`)
  assert.equal(holder.raw.at(-1), EVENT_201)
  assert.deepEqual(await holder.request(15), { id: 6, status: 3 })
  assert.equal((await holder.request(10)).status, 1, 'the holder stays connected')
  await waitFor(async () => await authorizedSessions(db.pool, app.id) === 0)

  assert.deepEqual(await blacklistEntries(db.pool, app.id), [{ client_id: 'device-x', comment: 'leaked', source: 'client' }])
  assert.equal((await licenseRow(db.pool, app.id, key))?.blacklist_comment, 'leaked')
  const again = await TestClient.connect(b.wsUrl)
  assert.deepEqual(await again.initialize(app.key, 'device-x'), { id: 1, status: 503 })
  assert.deepEqual(await again.closed, { code: 4204, reason: 'external ID is blacklisted' })
  const rebind = await session(b, app, 'device-z')
  assert.equal((await rebind.authorize(key)).status, 105)
  for (const c of [holder, rebind]) c.close()
})

test('sessions of two instances racing to blacklist themselves stop exactly at blacklist_limit', async () => {
  const app = await createApp(db.pool, { blacklistLimit: 5 })
  const clients = await Promise.all(Array.from({ length: 12 }, (_, i) =>
    session(i % 2 === 0 ? a : b, app, `racer-${String(i).padStart(2, '0')}`)))
  const answers = await Promise.all(clients.map(c => c.request(6)))
  const statuses = answers.map(r => r.status).sort()
  assert.deepEqual(statuses, [...Array(5).fill(1), ...Array(7).fill(604)])
  assert.equal((await blacklistEntries(db.pool, app.id)).length, 5)
  for (const [i, c] of clients.entries()) {
    if (answers[i]!.status === 1) assert.equal((await c.closed).code, 4203)
    else assert.equal((await c.request(10)).status, 1, 'a 604 leaves the socket open')
  }
  for (const c of clients) c.close()
})
