import { before, describe, test } from 'node:test'
import assert from 'node:assert/strict'
import { testDatabase, type TestDatabase } from './helpers/database.js'
import { startServer, type TestServer } from './helpers/server.js'
import { TestClient, waitFor } from './helpers/client.js'
import { authorizedSessions, createApp, createLicense, licenseRow, type TestApp } from './helpers/fixtures.js'

let db: TestDatabase
let server: TestServer
let app: TestApp

before(async t => {
  db = await testDatabase(t)
  // Believe X-Forwarded-For so a test can be the seed's client at 203.0.113.10.
  server = await startServer(t, db, {}, { trustProxy: true })
  app = await createApp(db.pool)
})

async function initialized (clientId = 'device-0001', appKey = app.key, headers: Record<string, string> = {}): Promise<TestClient> {
  const c = await TestClient.connect(server.wsUrl, headers)
  const init = await c.initialize(appKey, clientId)
  assert.equal(init.status, 1)
  return c
}

describe('Authorize by license (type 2), the seed', () => {
  test("the seed's example exchange: activation binds, stores the IP and answers the Unix expiry", async () => {
    const own = await createApp(db.pool)
    await createLicense(db.pool, own.id, { key: 'ABCDEF-123456', durationSeconds: 86400, levels: { tier: 'pro' }, comment: 'main seat' })
    const c = await TestClient.connect(server.wsUrl, { 'x-forwarded-for': '203.0.113.10' })
    assert.equal((await c.request(0, { websocket_api_key: own.key, client_id: 'seed-device' })).status, 1)
    c.sendRaw('{\n  "type": 2,\n  "id": 3,\n  "license": "ABCDEF-123456"\n}')
    const response = await c.next()
    const row = await licenseRow(db.pool, own.id, 'ABCDEF-123456')
    assert.ok(row !== undefined)
    assert.deepEqual(response, {
      id: 3,
      license: 'ABCDEF-123456',
      levels: { tier: 'pro' },
      comment: 'main seat',
      ip_address: '203.0.113.10',
      time_left: Math.floor(row.expires_epoch as number),
      status: 1
    })
    assert.deepEqual(Object.keys(JSON.parse(c.raw[1]!)), ['id', 'license', 'levels', 'comment', 'ip_address', 'time_left', 'status'])
    assert.equal(row.client_id, 'seed-device')
    assert.equal(row.ip_address, '203.0.113.10')
    const activated = (row.activated_at as Date).getTime()
    assert.equal((row.expires_at as Date).getTime() - activated, 86400 * 1000)
    assert.ok(Math.abs(activated - Date.now()) < 60_000)
    assert.equal(await authorizedSessions(db.pool, own.id), 1)
    c.close()
  })

  test('already activated: time_left is whole seconds remaining', async () => {
    const key = await createLicense(db.pool, app.id, { activatedAgo: 100, expiresIn: 5000, clientId: 'device-0001', ipAddress: '10.0.0.1' })
    const c = await initialized()
    const r = await c.authorize(key)
    assert.equal(r.status, 1)
    assert.ok(typeof r.time_left === 'number' && r.time_left <= 5000 && r.time_left >= 4990, `time_left ${r.time_left}`)
    assert.equal(r.ip_address, '127.0.0.1')
    c.close()
  })

  test("the 'seconds' option answers seconds remaining on the activating call too", async t => {
    const other = await startServer(t, db, { timeLeft: 'seconds' })
    const key = await createLicense(db.pool, app.id, { durationSeconds: 7200 })
    const c = await TestClient.connect(other.wsUrl)
    await c.initialize(app.key, 'device-0002')
    const r = await c.authorize(key)
    assert.equal(r.status, 1)
    assert.ok(r.time_left === 7200 || r.time_left === 7199, `time_left ${r.time_left}`)
    c.close()
  })

  test('activated license without client_id (after a reset) binds this client', async () => {
    const key = await createLicense(db.pool, app.id, { activatedAgo: 10, expiresIn: 1000, clientId: null })
    const c = await initialized('device-0042')
    assert.equal((await c.authorize(key)).status, 1)
    assert.equal((await licenseRow(db.pool, app.id, key))?.client_id, 'device-0042')
    c.close()
  })

  test('7 when already authorized, with the license echoed', async () => {
    const [k1, k2] = [await createLicense(db.pool, app.id), await createLicense(db.pool, app.id)]
    const c = await initialized('device-0007')
    assert.equal((await c.authorize(k1)).status, 1)
    assert.deepEqual(await c.authorize(k2), { id: 3, license: k2, status: 7 })
    assert.equal((await licenseRow(db.pool, app.id, k2))?.activated_at, null)
    c.close()
  })

  test('101 shorter than 6, 102 longer than 64, counted in UTF-16 units', async () => {
    const c = await initialized()
    assert.deepEqual(await c.authorize('ABCDE'), { id: 2, license: 'ABCDE', status: 101 })
    assert.deepEqual(await c.authorize('A'.repeat(65)), { id: 3, license: 'A'.repeat(65), status: 102 })
    assert.deepEqual(await c.authorize('😀😀😀'), { id: 4, license: '😀😀😀', status: 100 })
    c.close()
  })

  test('100 for an unknown key and for a key of another app', async () => {
    const other = await createApp(db.pool)
    const foreign = await createLicense(db.pool, other.id)
    const c = await initialized()
    assert.deepEqual(await c.authorize('NO-SUCH-KEY'), { id: 2, license: 'NO-SUCH-KEY', status: 100 })
    assert.deepEqual(await c.authorize(foreign), { id: 3, license: foreign, status: 100 })
    c.close()
  })

  test('105 blacklisted, with levels, comment, ip_address and time_left', async () => {
    const key = await createLicense(db.pool, app.id, { blacklisted: true, activatedAgo: 50, expiresIn: 1000, clientId: 'device-0001', ipAddress: '198.51.100.7', levels: { seats: 2 }, comment: null })
    const c = await initialized()
    const r = await c.authorize(key)
    assert.deepEqual(Object.keys(r), ['id', 'license', 'levels', 'comment', 'ip_address', 'time_left', 'status'])
    assert.deepEqual({ ...r, time_left: 0 }, { id: 2, license: key, levels: { seats: 2 }, comment: null, ip_address: '198.51.100.7', time_left: 0, status: 105 })
    assert.ok((r.time_left as number) > 990)
    c.close()
  })

  test('blacklist is checked before pause, pause before client_id', async () => {
    const key = await createLicense(db.pool, app.id, { blacklisted: true, pausedAgo: 5, clientId: 'someone-else', activatedAgo: 10, expiresIn: 100 })
    const c = await initialized()
    assert.equal((await c.authorize(key)).status, 105)
    const key2 = await createLicense(db.pool, app.id, { pausedAgo: 5, clientId: 'someone-else', activatedAgo: 10, expiresIn: 100 })
    assert.equal((await c.authorize(key2)).status, 104)
    c.close()
  })

  test('104 paused: time_left frozen at the moment of pausing', async () => {
    // Paused 1000 s ago with 3000 s then left: 3000 left now too, not 2000.
    const key = await createLicense(db.pool, app.id, { activatedAgo: 5000, expiresIn: 2000, pausedAgo: 1000, clientId: 'device-0001' })
    const c = await initialized()
    const r = await c.authorize(key)
    assert.equal(r.status, 104)
    assert.ok(r.time_left === 3000 || r.time_left === 2999, `time_left ${r.time_left}`)
    assert.deepEqual(r.levels, { tier: 'pro' })
    c.close()
  })

  test('104 for a paused never-activated license has no time_left', async () => {
    const key = await createLicense(db.pool, app.id, { pausedAgo: 1 })
    const c = await initialized()
    assert.deepEqual(await c.authorize(key), { id: 2, license: key, levels: { tier: 'pro' }, comment: 'main seat', status: 104 })
    c.close()
  })

  test('502 bound to another client_id; nothing changes', async () => {
    const key = await createLicense(db.pool, app.id, { activatedAgo: 10, expiresIn: 500, clientId: 'owner-device', ipAddress: '192.0.2.1' })
    const before = await licenseRow(db.pool, app.id, key)
    const quota = await authorizedSessions(db.pool, app.id)
    const c = await initialized('intruder-device')
    const r = await c.authorize(key)
    assert.equal(r.status, 502)
    assert.equal(r.ip_address, '192.0.2.1')
    assert.ok(typeof r.time_left === 'number')
    assert.deepEqual(await licenseRow(db.pool, app.id, key), before)
    assert.equal(await authorizedSessions(db.pool, app.id), quota)
    c.close()
  })

  test('103 expired, and 103 for an activated license with no expiry: payload without time_left', async () => {
    const expired = await createLicense(db.pool, app.id, { activatedAgo: 200, expiresIn: -100, clientId: 'device-0001', ipAddress: '192.0.2.9' })
    const noExpiry = await createLicense(db.pool, app.id, { activatedAgo: 200, expiresIn: null })
    const c = await initialized()
    assert.deepEqual(await c.authorize(expired), { id: 2, license: expired, levels: { tier: 'pro' }, comment: 'main seat', ip_address: '192.0.2.9', status: 103 })
    assert.deepEqual(await c.authorize(noExpiry), { id: 3, license: noExpiry, levels: { tier: 'pro' }, comment: 'main seat', status: 103 })
    c.close()
  })

  test('602 when the app quota is full: payload included, nothing activated', async () => {
    const small = await createApp(db.pool, { sessionLimit: 1 })
    const [k1, k2] = [await createLicense(db.pool, small.id), await createLicense(db.pool, small.id)]
    const a = await initialized('device-000a', small.key)
    const b = await initialized('device-000b', small.key)
    assert.equal((await a.authorize(k1)).status, 1)
    assert.deepEqual(await b.authorize(k2), { id: 2, license: k2, levels: { tier: 'pro' }, comment: 'main seat', status: 602 })
    assert.equal((await licenseRow(db.pool, small.id, k2))?.activated_at, null)
    assert.equal(await authorizedSessions(db.pool, small.id), 1)
    // Initialize itself now answers 602 for this app.
    const c = await TestClient.connect(server.wsUrl)
    assert.deepEqual(await c.initialize(small.key, 'device-000c'), { id: 1, status: 602 })
    // Logout frees the slot for b.
    assert.deepEqual(await a.request(5), { id: 3, status: 1 })
    assert.equal((await b.authorize(k2)).status, 1)
    for (const x of [a, b, c]) x.close()
  })

  test('6 when the database call fails; the session stays unauthorized and nothing is held', async () => {
    const own = await createApp(db.pool)
    const key = await createLicense(db.pool, own.id)
    const c = await initialized('device-0006', own.key)
    // The session row vanishing makes the authorize transaction fail and roll back.
    await db.pool.query('DELETE FROM sessions WHERE app_id = $1', [own.id])
    assert.deepEqual(await c.authorize(key), { id: 2, status: 6 })
    assert.equal((await licenseRow(db.pool, own.id, key))?.activated_at, null)
    assert.equal(await authorizedSessions(db.pool, own.id), 0)
    assert.deepEqual(await c.request(15), { id: 3, status: 3 })
    c.close()
  })
})

describe('Get current license (type 15)', () => {
  test('3 when not authorized', async () => {
    const c = await initialized()
    assert.deepEqual(await c.request(15), { id: 2, status: 3 })
    c.close()
  })

  test('1 with seconds remaining, then 103 with payload once expired', async () => {
    const key = await createLicense(db.pool, app.id, { durationSeconds: 3600, levels: { tier: 'gold' }, comment: 'c15' })
    const c = await initialized('device-0015')
    assert.equal((await c.authorize(key)).status, 1)
    const r = await c.request(15)
    assert.deepEqual(Object.keys(r), ['id', 'license', 'levels', 'comment', 'ip_address', 'time_left', 'status'])
    assert.equal(r.status, 1)
    assert.ok(r.time_left === 3600 || r.time_left === 3599, `time_left ${r.time_left}`)
    await db.pool.query("UPDATE licenses SET expires_at = now() - interval '1 second' WHERE app_id = $1 AND key = $2", [app.id, key])
    assert.deepEqual(await c.request(15), { id: 4, license: key, levels: { tier: 'gold' }, comment: 'c15', ip_address: '127.0.0.1', status: 103 })
    c.close()
  })

  test('keys, levels and comments that need escaping come back exactly, from packets 2 and 15 alike', async () => {
    const key = 'KEY-"q\\b\u00e9\u{1F511}'
    const levels = { 'tier "x"': 'pro\nline', nested: [1, 2.5, null, { deep: '\\' }], unicode: '\u2028\u00fc' }
    const comment = 'seat "one"\t\\ \u0007 end'
    await createLicense(db.pool, app.id, { key, levels, comment })
    const c = await initialized('device-0017')
    const expected = { license: key, levels, comment, ip_address: '127.0.0.1', status: 1 }
    const authorized = await c.authorize(key)
    assert.deepEqual({ ...authorized, id: undefined, time_left: undefined }, { ...expected, id: undefined, time_left: undefined })
    // Twice: the second answer is the one written from the cached text on Postgres.
    for (const id of [3, 4]) {
      const current = await c.request(15)
      assert.equal(typeof current.time_left, 'number')
      assert.deepEqual({ ...current, time_left: undefined }, { id, ...expected, time_left: undefined })
    }
    assert.deepEqual(Object.keys(JSON.parse(c.raw[3]!)), ['id', 'license', 'levels', 'comment', 'ip_address', 'time_left', 'status'])
    c.close()
  })

  test('reads the license as it is now: a comment changed by plain SQL shows', async () => {
    const key = await createLicense(db.pool, app.id)
    const c = await initialized('device-0016')
    await c.authorize(key)
    assert.equal((await c.request(15)).comment, 'main seat')
    await db.pool.query("UPDATE licenses SET comment = 'renamed' WHERE app_id = $1 AND key = $2", [app.id, key])
    // On Postgres the answer may come from the license cache until the trigger's
    // NOTIFY arrives (milliseconds); on PGlite nothing is cached.
    let comment: unknown
    await waitFor(async () => (comment = (await c.request(15)).comment) === 'renamed', 2000, 5)
    assert.equal(comment, 'renamed')
    c.close()
  })
})

describe('Logout (type 5) and online users count (type 10)', () => {
  test('logout: 3 when not authorized; 1 and the slot is released; the socket stays initialized', async () => {
    const own = await createApp(db.pool)
    const key = await createLicense(db.pool, own.id)
    const c = await initialized('device-0005', own.key)
    assert.deepEqual(await c.request(5), { id: 2, status: 3 })
    assert.equal((await c.authorize(key)).status, 1)
    assert.equal(await authorizedSessions(db.pool, own.id), 1)
    assert.deepEqual(await c.request(5), { id: 4, status: 1 })
    assert.equal(await authorizedSessions(db.pool, own.id), 0)
    assert.deepEqual(await c.request(15), { id: 5, status: 3 })
    // Same client, same license: bound to it, so it may authorize again.
    assert.equal((await c.authorize(key)).status, 1)
    c.close()
  })

  test('online users count: the initialized sessions of this app only', async () => {
    const own = await createApp(db.pool)
    const other = await createApp(db.pool)
    const a = await initialized('device-00a1', own.key)
    const b = await initialized('device-00b1', own.key)
    const x = await initialized('device-00x1', other.key)
    const pending = await TestClient.connect(server.wsUrl) // connected, not initialized: not counted
    assert.deepEqual(await a.request(10), { id: 2, online_users_count: 2, status: 1 })
    await b.closeAndWait()
    const deadline = Date.now() + 3000
    let count = 2
    while (count !== 1 && Date.now() < deadline) count = (await a.request(10)).online_users_count as number
    assert.equal(count, 1)
    assert.deepEqual(await x.request(10), { id: 2, online_users_count: 1, status: 1 })
    for (const s of [a, x, pending]) s.close()
  })

  test('closing an authorized socket releases its slot', async () => {
    const own = await createApp(db.pool)
    const key = await createLicense(db.pool, own.id)
    const c = await initialized('device-0c01', own.key)
    assert.equal((await c.authorize(key)).status, 1)
    await c.closeAndWait()
    const deadline = Date.now() + 3000
    while (await authorizedSessions(db.pool, own.id) !== 0 && Date.now() < deadline) await new Promise(resolve => setTimeout(resolve, 20))
    assert.equal(await authorizedSessions(db.pool, own.id), 0)
    // The same client reconnecting finds its slot free and its license bound to it.
    const d = await initialized('device-0c01', own.key)
    assert.equal((await d.authorize(key)).status, 1)
    d.close()
  })
})
