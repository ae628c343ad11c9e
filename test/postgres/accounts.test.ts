import { before, describe, test } from 'node:test'
import assert from 'node:assert/strict'
import { testDatabase, type TestDatabase } from '../helpers/database.js'
import { startServer, type TestServer } from '../helpers/server.js'
import { tally, TestClient, waitFor } from '../helpers/client.js'
import { PASSWORD, accountCount, authorizedSessions, createAccount, createApp, createLicense } from '../helpers/fixtures.js'
import { accountQuotaRace, linkRace } from '../helpers/races.js'
import { listenerName } from '../../src/db/event-bus.js'

// Two instances sharing one real Postgres, as replicas behind a load balancer.
let db: TestDatabase
let a: TestServer
let b: TestServer

before(async t => {
  db = await testDatabase(t)
  assert.ok(db.real, 'these tests need DATABASE_URL')
  a = await startServer(t, db, { connectRateLimitMax: 10000 })
  b = await startServer(t, db, { connectRateLimitMax: 10000 })
})

describe('accounts across two instances', () => {
  test('account logins on both instances race for the slots: exactly as many Oks as slots (602 for the rest)', async () => {
    const replies = await accountQuotaRace(db, [a.wsUrl, b.wsUrl])
    const okOn = (n: number): number => replies.filter((r, i) => r.status === 1 && i % 2 === n).length
    assert.ok(okOn(0) > 0 && okOn(1) > 0, `both instances granted slots (${okOn(0)} + ${okOn(1)})`)
  })

  test('sessions on both instances race to link one license: exactly one links it', async () => {
    await linkRace(db, [a.wsUrl, b.wsUrl])
  })

  test('the per-IP creation limit is counted across instances, also when creations race', async () => {
    const app = await createApp(db.pool)
    const from = async (server: TestServer, ip: string): Promise<TestClient> => {
      const c = await TestClient.connect(server.wsUrl, {}, ip)
      assert.equal((await c.initialize(app.key, `device-${ip}`)).status, 1)
      return c
    }
    const create = (c: TestClient, login: string) => c.request(1, { login, password: PASSWORD, credentials_type: 0 }, 30_000)
    const [onA, onB] = [await from(a, '127.0.0.20'), await from(b, '127.0.0.20')]
    assert.equal((await create(onA, 'sequential-1')).status, 1)
    assert.equal((await create(onB, 'sequential-2')).status, 1)
    assert.equal((await create(onA, 'sequential-3')).status, 1)
    const limited = await create(onB, 'sequential-4')
    assert.equal(limited.status, 5)
    assert.ok((limited.retry_after as number) > 86000, `retry_after ${limited.retry_after}`)

    // Six at once from one other IP, three on each instance: exactly three get in.
    const racers = await Promise.all(Array.from({ length: 6 }, (_, i) => from(i % 2 === 0 ? a : b, '127.0.0.21')))
    const replies = await Promise.all(racers.map((c, i) => create(c, `raced-${i}`)))
    assert.deepEqual(tally(replies), { 1: 3, 5: 3 })
    assert.equal(await accountCount(db.pool, app.id), 6)
    for (const c of [onA, onB, ...racers]) c.close()
  })

  test('logins created at once differing only in case: exactly one account', async () => {
    const app = await createApp(db.pool)
    const clients = await Promise.all(['Same.Login', 'same.login', 'SAME.LOGIN', 'same.LOGIN'].map(async (login, i) => {
      const c = await TestClient.connect((i % 2 === 0 ? a : b).wsUrl, {}, `127.0.0.${30 + i}`)
      assert.equal((await c.initialize(app.key, `device-${i}`)).status, 1)
      return { c, login }
    }))
    const replies = await Promise.all(clients.map(({ c, login }) => c.request(1, { login, password: PASSWORD, credentials_type: 0 }, 30_000)))
    assert.deepEqual(tally(replies), { 1: 1, 202: 3 })
    assert.equal(await accountCount(db.pool, app.id), 1)
    for (const { c } of clients) c.close()
  })

  test('an account blacklisted while the listener was down: event 300 once it is back', async () => {
    const app = await createApp(db.pool)
    const key = await createLicense(db.pool, app.id, { activatedAgo: 1, expiresIn: 3600 })
    const account = await createAccount(db.pool, app.id, { licenses: [key] })
    const c = await TestClient.connect(b.wsUrl)
    await c.initialize(app.key)
    assert.equal((await c.request(3, { login: account.login, password: PASSWORD, credentials_type: 0 }, 30_000)).status, 1)
    assert.deepEqual(await c.request(17, { subscribed: true }), { id: 3, status: 1 })
    // Blacklisted behind the API's back: no NOTIFY is ever sent, as if it were lost.
    await db.pool.query('UPDATE accounts SET blacklisted_at = now() WHERE id = $1', [account.id])
    const { rowCount } = await db.pool.query('SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE application_name = $1',
      [listenerName(b.app.licensewireHub.instanceId)])
    assert.equal(rowCount, 1)
    assert.equal((await c.next(5000)).event_type, 300)
    assert.equal((await c.request(16)).status, 3)
    await waitFor(async () => await authorizedSessions(db.pool, app.id) === 0)
    c.close()
  })
})
