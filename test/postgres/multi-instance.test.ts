import { before, describe, test } from 'node:test'
import assert from 'node:assert/strict'
import { testDatabase, type TestDatabase } from '../helpers/database.js'
import { startServer, type TestServer } from '../helpers/server.js'
import { initializedClients, tally, TestClient, waitFor } from '../helpers/client.js'
import { spawnService } from '../helpers/process.js'
import { authorizedSessions, createApp, createLicense, createLicenses, sessionRows } from '../helpers/fixtures.js'
import { bindingRace, quotaRace } from '../helpers/races.js'
import { listenerName } from '../../src/db/event-bus.js'

// Several instances sharing one real Postgres, as replicas behind a load balancer.
let db: TestDatabase
let a: TestServer
let b: TestServer

before(async t => {
  db = await testDatabase(t)
  assert.ok(db.real, 'these tests need DATABASE_URL')
  a = await startServer(t, db, { connectRateLimitMax: 10000 })
  b = await startServer(t, db, { connectRateLimitMax: 10000 })
})

describe('app session quota across two instances', () => {
  test('200 sockets over both instances race for 50 slots: exactly 50 Ok; 10 logouts free exactly 10', async () => {
    const replies = await quotaRace(db, [a.wsUrl, b.wsUrl])
    const okOn = (n: number): number => replies.filter((r, i) => r.status === 1 && i % 2 === n).length
    assert.ok(okOn(0) > 0 && okOn(1) > 0, `both instances granted slots (${okOn(0)} + ${okOn(1)})`)
  })

  test('20 client_ids on both instances race for one unbound license: exactly one binds', async () => {
    await bindingRace(db, [a.wsUrl, b.wsUrl])
  })

  test('online users count sums the sessions of both instances', async () => {
    const app = await createApp(db.pool)
    const clients = await initializedClients([a.wsUrl, b.wsUrl, b.wsUrl], app.key, 6)
    assert.deepEqual(await clients[0]!.request(10), { id: 2, online_users_count: 6, status: 1 })
    assert.deepEqual(await clients[1]!.request(10), { id: 2, online_users_count: 6, status: 1 })
    for (const c of clients) c.close()
  })

  test('the rate-limit cool-down of an IP holds on every instance', async t => {
    const strict = await startServer(t, db, { rateLimitPackets: 2, rateLimitCooldownMs: 4000 })
    try {
      const app = await createApp(db.pool)
      const c = await TestClient.connect(strict.wsUrl)
      c.send(0, { websocket_api_key: app.key, client_id: 'device-0001' })
      c.send(10)
      c.send(10)
      assert.equal((await c.closed).code, 4201)
      await waitFor(async () => (await db.pool.query("SELECT 1 FROM ip_cooldowns WHERE ip = '127.0.0.1'")).rowCount === 1)
      const d = await TestClient.connect(b.wsUrl)
      d.send(0, { websocket_api_key: app.key, client_id: 'device-0002' })
      assert.deepEqual(await d.closed, { code: 4201, reason: 'rate limited, 4 seconds left' })
    } finally {
      await db.pool.query('DELETE FROM ip_cooldowns')
    }
  })
})

describe('an instance that dies without a goodbye', () => {
  test("its slots and sessions stop counting within the lease, and the survivor's count drops", async t => {
    const leaseMs = 1500
    const survivor = await startServer(t, db, { sessionLeaseMs: leaseMs, connectRateLimitMax: 10000 })
    const doomed = await spawnService({ DATABASE_URL: db.connectionString, SESSION_LEASE_MS: String(leaseMs), CONNECT_RATE_LIMIT_MAX: '10000' })
    try {
      const app = await createApp(db.pool, { sessionLimit: 10 })
      const keys = await createLicenses(db.pool, app.id, 10)
      const onDoomed = await initializedClients([doomed.wsUrl], app.key, 8, 'doomed')
      const onSurvivor = await initializedClients([survivor.wsUrl], app.key, 2, 'survivor')
      assert.deepEqual(tally(await Promise.all(onDoomed.map((c, i) => c.authorize(keys[i]!)))), { 1: 8 })
      assert.equal((await onSurvivor[0]!.authorize(keys[8]!)).status, 1)
      assert.equal(await authorizedSessions(db.pool, app.id), 9)
      assert.equal((await onSurvivor[0]!.request(10)).online_users_count, 10)

      // SIGKILL: no drain, no release, its pool and sockets just vanish.
      doomed.child.kill('SIGKILL')
      assert.equal(await doomed.exited, null)
      const killed = Date.now()
      await waitFor(async () => await authorizedSessions(db.pool, app.id) === 1 && await sessionRows(db.pool, app.id) === 2, leaseMs + 2000)
      const elapsed = Date.now() - killed
      // Within the lease (plus scheduling slack on a busy machine).
      assert.ok(elapsed <= leaseMs + 1000, `freed after ${elapsed} ms`)
      assert.deepEqual(await onSurvivor[1]!.request(10), { id: 2, online_users_count: 2, status: 1 })
      // The dead instance's slots are usable again.
      assert.equal((await onSurvivor[1]!.authorize(keys[9]!)).status, 1)
      for (const c of onSurvivor) c.close()
    } finally {
      doomed.child.kill('SIGKILL')
    }
  })

  test('a standalone instance drains on SIGTERM: 1001 and its sessions released (resumption off)', async () => {
    const service = await spawnService({ DATABASE_URL: db.connectionString, RESUME_WINDOW_MS: '0' })
    const app = await createApp(db.pool)
    const key = await createLicense(db.pool, app.id)
    const c = await TestClient.connect(service.wsUrl)
    await c.initialize(app.key)
    assert.equal((await c.authorize(key)).status, 1)
    service.child.kill('SIGTERM')
    assert.deepEqual(await c.closed, { code: 1001, reason: 'server going away' })
    assert.equal(await service.exited, 0)
    assert.equal(await authorizedSessions(db.pool, app.id), 0)
    assert.equal(await sessionRows(db.pool, app.id), 0)
  })
})

describe('live events after the LISTEN connection was lost', () => {
  test('a change missed while the listener was down is applied once it is back', async () => {
    const app = await createApp(db.pool)
    const c = await TestClient.connect(b.wsUrl)
    await c.initialize(app.key)
    assert.deepEqual(await c.request(17, { subscribed: true }), { id: 2, status: 1 })
    // Paused behind the API's back: no NOTIFY is ever sent, as if it were lost.
    await db.pool.query('UPDATE apps SET paused = true WHERE id = $1', [app.id])
    await new Promise(resolve => setTimeout(resolve, 300))
    assert.equal(c.ws.readyState, 1, 'nothing happens while no event arrives')
    const { rowCount } = await db.pool.query('SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE application_name = $1',
      [listenerName(b.app.licensewireHub.instanceId)])
    assert.equal(rowCount, 1)
    assert.deepEqual(await c.closed, { code: 4101, reason: 'application paused' })
    assert.equal(c.raw.at(-1), '{"id":18446744073709551615,"event_type":101,"content":{}}')
    // And the listener works again for what comes next.
    const other = await createApp(db.pool)
    const d = await TestClient.connect(b.wsUrl)
    await d.initialize(other.key)
    await a.app.licensewireEvents.publish({ type: 'app_paused', appId: other.id })
    assert.deepEqual(await d.closed, { code: 4101, reason: 'application paused' })
  })
})
