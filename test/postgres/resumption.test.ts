import { before, test } from 'node:test'
import assert from 'node:assert/strict'
import { testDatabase, type TestDatabase } from '../helpers/database.js'
import { startServer, type TestServer } from '../helpers/server.js'
import { TestClient, waitFor } from '../helpers/client.js'
import { spawnService } from '../helpers/process.js'
import { authorizedSessions, createApp, createLicense, createLicenses, sessionRows } from '../helpers/fixtures.js'

// Resumption across instances on one real Postgres: a session suspended by one
// instance is claimed by another, once, even after the first is gone.
let db: TestDatabase
let a: TestServer
let b: TestServer

const NOT_FOUND = { code: 4401, reason: 'resume ID was not found or it is expired' }

before(async t => {
  db = await testDatabase(t)
  assert.ok(db.real, 'these tests need DATABASE_URL')
  a = await startServer(t, db, { connectRateLimitMax: 10000 })
  b = await startServer(t, db, { connectRateLimitMax: 10000 })
})

async function suspended (appId: number): Promise<number> {
  const { rows } = await db.pool.query<{ n: string }>(
    'SELECT count(*) AS n FROM sessions WHERE app_id = $1 AND suspended_until IS NOT NULL', [appId])
  return Number(rows[0]!.n)
}

test('a session dropped on one instance resumes on the other, values and all', async () => {
  const app = await createApp(db.pool)
  const key = await createLicense(db.pool, app.id)
  const c = await TestClient.connect(a.wsUrl)
  assert.equal((await c.initialize(app.key)).status, 1)
  assert.equal((await c.authorize(key)).status, 1)
  assert.equal((await c.request(12, { key: 'where', value: 'a', ttl: 600 })).status, 1)
  c.drop()
  await waitFor(async () => await suspended(app.id) === 1)
  const back = await c.resume(b.wsUrl)
  assert.deepEqual(await back.request(13, { key: 'where' }), { id: 4, value: 'a', status: 1 })
  assert.equal((await back.request(15)).status, 1)
  const { rows } = await db.pool.query('SELECT instance_id FROM sessions WHERE app_id = $1', [app.id])
  assert.deepEqual(rows, [{ instance_id: b.app.licensewireHub.instanceId }])
  assert.equal(await authorizedSessions(db.pool, app.id), 1)
  back.close()
})

test('a client back through the other instance before the first noticed the drop: the first lets go, the claim waits for it', async () => {
  const app = await createApp(db.pool)
  const key = await createLicense(db.pool, app.id)
  const c = await TestClient.connect(a.wsUrl)
  assert.equal((await c.initialize(app.key)).status, 1)
  assert.equal((await c.authorize(key)).status, 1)
  assert.equal((await c.request(12, { key: 'where', value: 'a', ttl: 600 })).status, 1)
  // Instance a still holds the old socket: as far as it knows, nothing happened.
  const back = await c.resume(b.wsUrl)
  assert.deepEqual(await back.request(13, { key: 'where' }), { id: 4, value: 'a', status: 1 })
  assert.equal((await c.closed).code, 1006, 'instance a cut the old socket')
  const { rows } = await db.pool.query('SELECT instance_id, suspended_until FROM sessions WHERE app_id = $1', [app.id])
  assert.deepEqual(rows, [{ instance_id: b.app.licensewireHub.instanceId, suspended_until: null }])
  assert.equal(await authorizedSessions(db.pool, app.id), 1)
  back.close()
})

test('20 sessions, each claimed by two sockets on two instances at once: exactly one wins each', async () => {
  const app = await createApp(db.pool, { sessionLimit: 20 })
  const keys = await createLicenses(db.pool, app.id, 20)
  const clients = await Promise.all(keys.map(async (key, i) => {
    const c = await TestClient.connect(i % 2 === 0 ? a.wsUrl : b.wsUrl)
    assert.equal((await c.initialize(app.key, `device-${1000 + i}`)).status, 1)
    assert.equal((await c.authorize(key)).status, 1)
    return c
  }))
  for (const c of clients) c.drop()
  await waitFor(async () => await suspended(app.id) === 20)
  const outcomes = await Promise.all(clients.map(async c => {
    const pair = await Promise.all([c.resume(a.wsUrl), c.resume(b.wsUrl)])
    return Promise.all(pair.map(async s => Promise.race([
      s.request(15).then(r => r.status as number),
      s.closed.then(closed => { assert.deepEqual(closed, NOT_FOUND); return 'refused' })
    ])))
  }))
  for (const pair of outcomes) assert.deepEqual([...pair].sort(), [1, 'refused'])
  assert.equal(await authorizedSessions(db.pool, app.id), 20)
  assert.equal(await suspended(app.id), 0)
})

test('SIGTERM: a standalone instance hands its sessions over, and they resume on a survivor with no 602', async () => {
  const leaving = await spawnService({ DATABASE_URL: db.connectionString, CONNECT_RATE_LIMIT_MAX: '10000' })
  try {
    const app = await createApp(db.pool, { sessionLimit: 100 })
    const keys = await createLicenses(db.pool, app.id, 100)
    const clients = await Promise.all(keys.map(async (key, i) => {
      const c = await TestClient.connect(leaving.wsUrl)
      assert.equal((await c.initialize(app.key, `device-${2000 + i}`)).status, 1)
      assert.equal((await c.authorize(key)).status, 1)
      return c
    }))
    leaving.child.kill('SIGTERM')
    // Each client resumes on the survivor as soon as it hears the 1001.
    const resumed = await Promise.all(clients.map(async c => {
      assert.deepEqual(await c.closed, { code: 1001, reason: 'server going away' })
      const back = await c.resume(a.wsUrl)
      return { back, answer: await back.request(15) }
    }))
    assert.deepEqual(resumed.filter(r => r.answer.status !== 1), [])
    assert.equal(await leaving.exited, 0)
    assert.equal(await authorizedSessions(db.pool, app.id), 100)
    assert.equal(await sessionRows(db.pool, app.id), 100)
    assert.equal(await suspended(app.id), 0)
    for (const { back } of resumed) back.close()
    await waitFor(async () => await sessionRows(db.pool, app.id) === 0)
    assert.equal(await authorizedSessions(db.pool, app.id), 0)
  } finally {
    leaving.child.kill('SIGKILL')
  }
})

test('a suspended session outlives the instance that suspended it, even a crashed one', async () => {
  const doomed = await spawnService({ DATABASE_URL: db.connectionString, SESSION_LEASE_MS: '1500' })
  try {
    const app = await createApp(db.pool)
    const key = await createLicense(db.pool, app.id)
    const c = await TestClient.connect(doomed.wsUrl)
    assert.equal((await c.initialize(app.key)).status, 1)
    assert.equal((await c.authorize(key)).status, 1)
    c.drop()
    await waitFor(async () => await suspended(app.id) === 1)
    doomed.child.kill('SIGKILL')
    await doomed.exited
    // Past the dead instance's lease: a sweep has run, and left the suspended session alone.
    await waitFor(async () => (await db.pool.query('SELECT 1 FROM instances WHERE id IN (SELECT instance_id FROM sessions WHERE app_id = $1)', [app.id])).rowCount === 0, 15000)
    assert.equal(await authorizedSessions(db.pool, app.id), 1)
    const back = await c.resume(b.wsUrl)
    assert.equal((await back.request(15)).status, 1)
    back.close()
  } finally {
    doomed.child.kill('SIGKILL')
  }
})
