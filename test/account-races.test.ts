import { before, describe, test } from 'node:test'
import assert from 'node:assert/strict'
import { testDatabase, type TestDatabase } from './helpers/database.js'
import { startServer, type TestServer } from './helpers/server.js'
import { initializedClients, tally, TestClient, waitFor } from './helpers/client.js'
import { PASSWORD, createAccount, createApp, createLicense } from './helpers/fixtures.js'
import { accountQuotaRace, linkRace } from './helpers/races.js'

let db: TestDatabase
let server: TestServer

before(async t => {
  db = await testDatabase(t)
  // The storm test's reader sends type 15 as fast as it is answered.
  server = await startServer(t, db, { connectRateLimitMax: 10000, rateLimitPackets: 100_000 })
})

describe('accounts under concurrency on one instance', () => {
  test('45 account logins race for 15 slots: exactly 15 Ok; 5 logouts free exactly 5', async () => {
    await accountQuotaRace(db, [server.wsUrl])
  })

  test('10 sessions race to link one license: exactly one links it', async () => {
    await linkRace(db, [server.wsUrl])
  })
})

describe('a login storm', () => {
  test('does not stall other sessions: type 15 answers stay fast while 40 logins hash', async () => {
    const app = await createApp(db.pool)
    const reader = await TestClient.connect(server.wsUrl)
    assert.equal((await reader.initialize(app.key, 'reader-0001')).status, 1)
    assert.equal((await reader.authorize(await createLicense(db.pool, app.id))).status, 1)
    const accounts = await Promise.all(Array.from({ length: 40 }, () => createAccount(db.pool, app.id)))
    const clients = await initializedClients([server.wsUrl], app.key, 40, 'storm')
    const { passwords } = server.app.licensewireHub.ctx
    let busiest = 0

    const started = performance.now()
    const storm = Promise.all(clients.map((c, i) => c.request(3, { login: accounts[i]!.login, password: PASSWORD, credentials_type: 0 }, 60_000)))
    let done = false
    void storm.then(() => { done = true })
    // From when the logins wait for hashing, not for their account lookups, which
    // on the embedded database queue on its one connection like any query.
    await waitFor(() => passwords.load.running + passwords.load.waiting >= 30, 30_000, 5)
    const latencies: number[] = []
    while (!done) {
      busiest = Math.max(busiest, passwords.load.running)
      const sent = performance.now()
      assert.equal((await reader.request(15, {}, 10_000)).status, 1)
      latencies.push(performance.now() - sent)
    }
    const replies = await storm
    const stormMs = performance.now() - started
    assert.deepEqual(tally(replies), { 1: 40 })
    assert.equal(busiest, 2, 'never more hashes at once than PASSWORD_HASH_CONCURRENCY')
    // 40 argon2id checks, two at a time, take a while; type 15 never waits for them
    // (hashing on the event loop would hold each read for most of the storm).
    assert.ok(latencies.length >= 5, `${latencies.length} type 15 answers during a ${stormMs.toFixed(0)} ms storm`)
    const worst = Math.max(...latencies)
    const median = latencies.sort((a, b) => a - b)[Math.floor(latencies.length / 2)]!
    assert.ok(worst < stormMs / 4 && median < 100, `type 15 median ${median.toFixed(1)} ms, slowest ${worst.toFixed(1)} ms during a ${stormMs.toFixed(0)} ms storm`)
    for (const c of [reader, ...clients]) c.close()
  })

  test('beyond the hashing queue a login answers 6 at once and changes nothing', async t => {
    const strict = await startServer(t, db, { passwordHashConcurrency: 1, passwordHashQueue: 2, connectRateLimitMax: 10000 })
    try {
      const app = await createApp(db.pool)
      const accounts = await Promise.all(Array.from({ length: 12 }, () => createAccount(db.pool, app.id)))
      const clients = await initializedClients([strict.wsUrl], app.key, 12, 'queued')
      const replies = await Promise.all(clients.map((c, i) => c.request(3, { login: accounts[i]!.login, password: PASSWORD, credentials_type: 0 }, 30_000)))
      const counts = tally(replies)
      assert.deepEqual(Object.keys(counts).sort(), ['1', '6'], JSON.stringify(counts))
      assert.ok(counts[1]! >= 3, JSON.stringify(counts))
      for (const r of replies.filter(r => r.status === 6)) assert.deepEqual(Object.keys(r), ['id', 'status'])
      // Once the storm is over, a refused client gets in.
      const refused = replies.findIndex(r => r.status === 6)
      assert.equal((await clients[refused]!.request(3, { login: accounts[refused]!.login, password: PASSWORD, credentials_type: 0 })).status, 1)
      for (const c of clients) c.close()
    } finally {
      await strict.close()
    }
  })
})
