import { before, describe, test } from 'node:test'
import assert from 'node:assert/strict'
import { testDatabase, type TestDatabase } from './helpers/database.js'
import { startServer, type TestServer } from './helpers/server.js'
import { TestClient } from './helpers/client.js'
import {
  PASSWORD, accountCount, accountRow, authorizedSessions, createAccount, createApp, createLicense, licenseLink, type TestApp
} from './helpers/fixtures.js'

let db: TestDatabase
let server: TestServer
let app: TestApp

before(async t => {
  db = await testDatabase(t)
  // A short creation window, so the per-IP limit can be seen to lift.
  server = await startServer(t, db, { accountCreateWindowMs: 3000, connectRateLimitMax: 10000 })
  app = await createApp(db.pool)
})

let devices = 0

async function initialized (own: TestApp = app, localAddress?: string): Promise<TestClient> {
  const c = await TestClient.connect(server.wsUrl, {}, localAddress)
  assert.equal((await c.initialize(own.key, `device-${++devices}`)).status, 1)
  return c
}

const create = (c: TestClient, fields: Record<string, unknown>) => c.request(1, { credentials_type: 0, password: PASSWORD, ...fields })
const login = (c: TestClient, fields: Record<string, unknown>) => c.request(3, { credentials_type: 0, password: PASSWORD, ...fields })

/** Loopback addresses other than 127.0.0.1, one per test that counts creations. */
let ips = 1
const otherIp = (): string => `127.0.0.${++ips}`

describe('type 1 — create account', () => {
  test('the login and password checks in their order: 205, 206, 207, 208, 209', async () => {
    const c = await initialized(await createApp(db.pool))
    assert.deepEqual(await create(c, { login: 'abc', password: 'short' }), { id: 2, status: 205 })
    assert.deepEqual(await create(c, { login: 'a'.repeat(321) }), { id: 3, status: 206 })
    assert.deepEqual(await create(c, { login: 'abcd', password: 'seven77' }), { id: 4, status: 207 })
    assert.deepEqual(await create(c, { login: 'abcd', password: 'p'.repeat(129) }), { id: 5, status: 208 })
    for (const bad of ['no-at-sign', 'two@@example.com', 'user@localhost', 'with space@example.com', '@example.com', 'user@example.']) {
      assert.equal((await create(c, { login: bad, credentials_type: 1 })).status, 209, bad)
    }
    // Lengths are JavaScript lengths: two emoji are four code units.
    assert.equal((await create(c, { login: '😀😀', password: '😀😀😀😀' })).status, 1)
    assert.equal((await create(c, { login: 'ann@example.com', credentials_type: 1 })).status, 1)
    assert.equal((await create(c, { login: 'a'.repeat(320) })).status, 1)
    c.close()
  })

  test('credentials_type other than 0 or 1, and a comment over 256, are 4302', async () => {
    for (const fields of [{ login: 'abcd', credentials_type: 2 }, { login: 'abcd', credentials_type: '0' }, { login: 'abcd', comment: 'c'.repeat(257) }]) {
      const c = await initialized()
      c.send(1, { password: PASSWORD, credentials_type: 0, ...fields })
      assert.deepEqual(await c.closed, { code: 4302, reason: 'invalid request body' })
    }
  })

  test('creates the account without authorizing the session; the password is stored only as an argon2id hash', async () => {
    const own = await createApp(db.pool)
    const c = await initialized(own)
    assert.deepEqual(await create(c, { login: 'Stored.Secret', comment: 'from the client' }), { id: 2, status: 1 })
    assert.deepEqual(await c.request(16), { id: 3, status: 3 })
    const row = (await accountRow(db.pool, own.id, 'stored.secret'))!
    assert.equal(row.login, 'Stored.Secret')
    assert.equal(row.comment, 'from the client')
    assert.equal(row.requires_license, false)
    assert.match(String(row.password_hash), /^\$argon2id\$v=19\$m=19456,t=2,p=1\$[A-Za-z0-9+/]{22}\$[A-Za-z0-9+/]{43}$/)
    for (const [column, value] of Object.entries(row)) {
      assert.ok(!String(value).includes(PASSWORD), `column ${column} holds the password in clear`)
    }
    c.close()
  })

  test('logins are unique per app whatever their case: 202; another app may have the same login', async () => {
    const c = await initialized(await createApp(db.pool))
    assert.equal((await create(c, { login: 'Case.Taken' })).status, 1)
    assert.deepEqual(await create(c, { login: 'CASE.TAKEN' }), { id: 3, status: 202 })
    assert.deepEqual(await create(c, { login: 'case.taken' }), { id: 4, status: 202 })
    const other = await initialized(await createApp(db.pool))
    assert.equal((await create(other, { login: 'case.taken' })).status, 1)
    c.close()
    other.close()
  })

  test('with a license: 101, 102, 100, 106, 107, 105 in order, then linked and activated with its client_id unbound', async () => {
    const own = await createApp(db.pool)
    const linked = await createLicense(db.pool, own.id)
    await createAccount(db.pool, own.id, { licenses: [linked] })
    const activated = await createLicense(db.pool, own.id, { activatedAgo: 10, expiresIn: 1000 })
    const blacklisted = await createLicense(db.pool, own.id, { blacklisted: true })
    const foreign = await createLicense(db.pool, (await createApp(db.pool)).id)
    const fresh = await createLicense(db.pool, own.id, { durationSeconds: 3600 })
    const c = await initialized(own)
    assert.deepEqual(await create(c, { login: 'with-license', license: 'ABCDE' }), { id: 2, status: 101 })
    assert.deepEqual(await create(c, { login: 'with-license', license: 'A'.repeat(65) }), { id: 3, status: 102 })
    assert.deepEqual(await create(c, { login: 'with-license', license: foreign }), { id: 4, status: 100 })
    assert.deepEqual(await create(c, { login: 'with-license', license: linked }), { id: 5, status: 106 })
    assert.deepEqual(await create(c, { login: 'with-license', license: activated }), { id: 6, status: 107 })
    assert.deepEqual(await create(c, { login: 'with-license', license: blacklisted }), { id: 7, status: 105 })
    assert.equal(await accountCount(db.pool, own.id), 1, 'every rejection changed nothing')
    assert.equal((await licenseLink(db.pool, own.id, blacklisted)).activated, false)

    const before = Date.now() / 1000
    assert.deepEqual(await create(c, { login: 'with-license', license: fresh }), { id: 8, status: 1 })
    const link = await licenseLink(db.pool, own.id, fresh)
    assert.equal(link.account_id, Number((await accountRow(db.pool, own.id, 'with-license'))!.id))
    assert.equal(link.activated, true)
    assert.equal(link.client_id, null)
    assert.ok(Math.abs(link.expires_epoch! - (before + 3600)) < 60)
    c.close()
  })

  test('a taken login is reported before a license problem, the quota before the login', async () => {
    const own = await createApp(db.pool, { accountsLimit: 1 })
    await createAccount(db.pool, own.id, { login: 'first-one' })
    const c = await initialized(own)
    assert.equal((await create(c, { login: 'First-One', license: 'NO-SUCH-LICENSE' })).status, 603)
    await db.pool.query('UPDATE apps SET accounts_limit = 2 WHERE id = $1', [own.id])
    assert.equal((await create(c, { login: 'First-One', license: 'NO-SUCH-LICENSE' })).status, 202)
    assert.equal((await create(c, { login: 'second-one', license: 'NO-SUCH-LICENSE' })).status, 100)
    c.close()
  })

  test("603 once the app's accounts reach accounts_limit, with or without a license", async () => {
    const own = await createApp(db.pool, { accountsLimit: 2 })
    const key = await createLicense(db.pool, own.id)
    const c = await initialized(own, otherIp())
    assert.equal((await create(c, { login: 'quota-1' })).status, 1)
    assert.equal((await create(c, { login: 'quota-2' })).status, 1)
    assert.deepEqual(await create(c, { login: 'quota-3' }), { id: 4, status: 603 })
    assert.deepEqual(await create(c, { login: 'quota-3', license: key }), { id: 5, status: 603 })
    assert.equal((await licenseLink(db.pool, own.id, key)).activated, false)
    c.close()
  })

  test('204 without a license when the app requires one; the account copies requires_license', async () => {
    const own = await createApp(db.pool, { accountsRequireLicense: true })
    const key = await createLicense(db.pool, own.id)
    const c = await initialized(own)
    assert.deepEqual(await create(c, { login: 'needs-one' }), { id: 2, status: 204 })
    // 204 comes before the login's other problems of later steps.
    assert.equal((await create(c, { login: 'needs-one', license: 'NO-SUCH-LICENSE' })).status, 100)
    assert.equal((await create(c, { login: 'needs-one', license: key })).status, 1)
    assert.equal((await accountRow(db.pool, own.id, 'needs-one'))!.requires_license, true)
    c.close()
  })

  test('per client IP: 3 accounts per window without a license, then 5 with retry_after; with a license no limit', async () => {
    const own = await createApp(db.pool)
    const ip = otherIp()
    const c = await initialized(own, ip)
    for (let i = 0; i < 3; i++) assert.equal((await create(c, { login: `ip-limited-${i}` })).status, 1)
    const limited = await create(c, { login: 'ip-limited-3' })
    const limitedAt = Date.now()
    assert.deepEqual(Object.keys(limited), ['id', 'retry_after', 'status'])
    assert.equal(limited.status, 5)
    // The window is 3 s here: the oldest creation ages out within it.
    assert.ok(limited.retry_after === 3 || limited.retry_after === 2, `retry_after ${limited.retry_after}`)
    assert.equal(await accountCount(db.pool, own.id), 3)
    // Counted per IP, on any socket, and per app.
    assert.equal((await create(await initialized(own, ip), { login: 'ip-limited-4' })).status, 5)
    assert.equal((await create(await initialized(own, otherIp()), { login: 'ip-limited-5' })).status, 1)
    assert.equal((await create(await initialized(undefined, ip), { login: 'ip-limited-6' })).status, 1)
    assert.equal((await create(c, { login: 'ip-licensed', license: await createLicense(db.pool, own.id) })).status, 1)
    // 202 and the other statuses after the limit are not reached while it holds.
    assert.equal((await create(c, { login: 'ip-limited-0' })).status, 5)

    // retry_after is rounded up: by then the oldest creation no longer counts.
    await new Promise(resolve => setTimeout(resolve, Math.max(0, limitedAt + (limited.retry_after as number) * 1000 - Date.now())))
    assert.equal((await create(c, { login: 'ip-limited-7' })).status, 1)
    c.close()
  })
})

describe('type 3 — authorize by credentials', () => {
  test('checks in their order: 7, 205–209, 101/102, 200', async () => {
    const key = await createLicense(db.pool, app.id)
    const c = await initialized()
    assert.equal((await c.authorize(key)).status, 1)
    assert.deepEqual(await login(c, { login: 'ab', password: 'x' }), { id: 3, status: 7 })
    const d = await initialized()
    assert.deepEqual(await login(d, { login: 'abc' }), { id: 2, status: 205 })
    assert.deepEqual(await login(d, { login: 'a'.repeat(321) }), { id: 3, status: 206 })
    assert.deepEqual(await login(d, { login: 'abcd', password: 'short' }), { id: 4, status: 207 })
    assert.deepEqual(await login(d, { login: 'abcd', password: 'p'.repeat(129) }), { id: 5, status: 208 })
    assert.deepEqual(await login(d, { login: 'abcd', credentials_type: 1 }), { id: 6, status: 209 })
    assert.deepEqual(await login(d, { login: 'abcd', license: 'SHORT' }), { id: 7, status: 101 })
    assert.deepEqual(await login(d, { login: 'abcd', license: 'L'.repeat(65) }), { id: 8, status: 102 })
    assert.deepEqual(await login(d, { login: 'no-such-login' }), { id: 9, status: 200 })
    c.close()
    d.close()
  })

  test('unknown login and wrong password answer the same 200, with only id and status', async () => {
    const account = await createAccount(db.pool, app.id)
    const c = await initialized()
    assert.deepEqual(await login(c, { login: account.login, password: 'wrong password' }), { id: 2, status: 200 })
    assert.deepEqual(await login(c, { login: 'nobody-here' }), { id: 3, status: 200 })
    assert.equal(c.raw[1], c.raw[2]!.replace('"id":3', '"id":2'))
    assert.equal(await authorizedSessions(db.pool, app.id), 0)
    c.close()
  })

  test('Ok: the account payload, exact fields in order, no coverage; IP stored, slot taken, logout gives it back', async () => {
    const own = await createApp(db.pool)
    const account = await createAccount(db.pool, own.id, { login: 'Mixed.Case', comment: null })
    const c = await initialized(own)
    assert.deepEqual(await login(c, { login: 'mixed.CASE' }), {
      id: 2, login: 'Mixed.Case', levels: {}, comment: null, ip_address: '127.0.0.1', license_required: false, status: 1
    })
    assert.deepEqual(Object.keys(JSON.parse(c.raw[1]!)), ['id', 'login', 'levels', 'comment', 'ip_address', 'license_required', 'status'])
    const row = (await accountRow(db.pool, own.id, account.login))!
    assert.equal(row.ip_address, '127.0.0.1')
    assert.ok(row.last_login_at instanceof Date)
    assert.equal(await authorizedSessions(db.pool, own.id), 1)
    assert.deepEqual(await c.request(5), { id: 3, status: 1 })
    assert.equal(await authorizedSessions(db.pool, own.id), 0)
    assert.deepEqual(await c.request(16), { id: 4, status: 3 })
    c.close()
  })

  test('coverage: levels of the covering license that expires last, time_left in seconds remaining', async () => {
    const own = await createApp(db.pool)
    const keys = [
      await createLicense(db.pool, own.id, { activatedAgo: 10, expiresIn: 5000, levels: { tier: 'basic' } }),
      await createLicense(db.pool, own.id, { activatedAgo: 10, expiresIn: 9000, levels: { tier: 'pro' } }),
      // Later still, but none of these covers: paused, blacklisted, expired, never activated.
      await createLicense(db.pool, own.id, { activatedAgo: 10, expiresIn: 90000, pausedAgo: 5, levels: { tier: 'paused' } }),
      await createLicense(db.pool, own.id, { activatedAgo: 10, expiresIn: 90000, blacklisted: true, levels: { tier: 'blacklisted' } }),
      await createLicense(db.pool, own.id, { activatedAgo: 100, expiresIn: -5, levels: { tier: 'expired' } }),
      await createLicense(db.pool, own.id, { levels: { tier: 'available' } })
    ]
    await createAccount(db.pool, own.id, { login: 'covered', licenses: keys, ipAddress: '198.51.100.1' })
    const c = await initialized(own)
    const r = await login(c, { login: 'covered' })
    assert.equal(r.status, 1)
    assert.deepEqual(r.levels, { tier: 'pro' })
    assert.ok(typeof r.time_left === 'number' && r.time_left <= 9000 && r.time_left >= 8990, `time_left ${r.time_left}`)
    assert.deepEqual(Object.keys(r), ['id', 'login', 'levels', 'comment', 'ip_address', 'time_left', 'license_required', 'status'])
    const current = await c.request(16)
    assert.deepEqual({ ...current, time_left: undefined }, { ...r, id: 3, time_left: undefined })
    assert.ok((current.time_left as number) <= (r.time_left as number))
    c.close()
  })

  test('201 blacklisted, with the payload as stored; nothing changes', async () => {
    const own = await createApp(db.pool)
    const key = await createLicense(db.pool, own.id, { activatedAgo: 1, expiresIn: 500, levels: { seats: 3 } })
    await createAccount(db.pool, own.id, { login: 'banned-user', blacklisted: true, licenses: [key], ipAddress: '198.51.100.9' })
    const c = await initialized(own)
    const r = await login(c, { login: 'banned-user' })
    assert.deepEqual({ ...r, time_left: typeof r.time_left }, {
      id: 2, login: 'banned-user', levels: { seats: 3 }, comment: 'vip', ip_address: '198.51.100.9', time_left: 'number', license_required: false, status: 201
    })
    assert.equal((await accountRow(db.pool, own.id, 'banned-user'))!.ip_address, '198.51.100.9')
    assert.equal(await authorizedSessions(db.pool, own.id), 0)
    c.close()
  })

  test('with a license: 100, 106, 107, 105; its own license is accepted as is; a fresh one is linked and activated', async () => {
    const own = await createApp(db.pool)
    const taken = await createLicense(db.pool, own.id)
    await createAccount(db.pool, own.id, { licenses: [taken] })
    const mine = await createLicense(db.pool, own.id, { activatedAgo: 5, expiresIn: 100, levels: { tier: 'mine' } })
    await createAccount(db.pool, own.id, { login: 'license-user', licenses: [mine] })
    const activated = await createLicense(db.pool, own.id, { activatedAgo: 5, expiresIn: 100 })
    const blacklisted = await createLicense(db.pool, own.id, { blacklisted: true })
    const fresh = await createLicense(db.pool, own.id, { durationSeconds: 7200, levels: { tier: 'fresh' } })
    const c = await initialized(own)
    for (const [key, status] of [['NO-SUCH-LICENSE', 100], [taken, 106], [activated, 107], [blacklisted, 105]] as const) {
      const r = await login(c, { login: 'license-user', license: key })
      assert.equal(r.status, status)
      assert.equal(r.login, 'license-user', 'the payload as far as known')
      assert.deepEqual(r.levels, { tier: 'mine' })
      assert.equal(r.ip_address, undefined, 'nothing stored')
    }
    assert.equal((await licenseLink(db.pool, own.id, blacklisted)).account_id, null)
    assert.equal((await login(c, { login: 'license-user', license: mine })).status, 1)
    assert.deepEqual(await c.request(5), { id: 7, status: 1 })
    const r = await login(c, { login: 'license-user', license: fresh })
    assert.equal(r.status, 1)
    assert.deepEqual(r.levels, { tier: 'fresh' }, 'the fresh license expires last')
    assert.ok(r.time_left === 7200 || r.time_left === 7199, `time_left ${r.time_left}`)
    assert.equal((await licenseLink(db.pool, own.id, fresh)).client_id, null)
    c.close()
  })

  test('203 when the account requires a license and nothing covers it, also after linking a paused one; nothing changes', async () => {
    const own = await createApp(db.pool)
    const expired = await createLicense(db.pool, own.id, { activatedAgo: 100, expiresIn: -1 })
    await createAccount(db.pool, own.id, { login: 'needs-cover', requiresLicense: true, licenses: [expired] })
    const paused = await createLicense(db.pool, own.id, { pausedAgo: 1 })
    const c = await initialized(own)
    assert.deepEqual(await login(c, { login: 'needs-cover' }), {
      id: 2, login: 'needs-cover', levels: {}, comment: 'vip', license_required: true, status: 203
    })
    assert.equal((await login(c, { login: 'needs-cover', license: paused })).status, 203)
    assert.equal((await licenseLink(db.pool, own.id, paused)).account_id, null, 'the link was undone')
    assert.equal(await authorizedSessions(db.pool, own.id), 0)
    const fresh = await createLicense(db.pool, own.id)
    const r = await login(c, { login: 'needs-cover', license: fresh })
    assert.equal(r.status, 1)
    assert.equal(r.license_required, true)
    c.close()
  })

  test('602 when the app is full, like type 2; nothing changes', async () => {
    const own = await createApp(db.pool, { sessionLimit: 1 })
    const holder = await initialized(own)
    // Before the app is full: Initialize answers 602 too then.
    const c = await initialized(own)
    assert.equal((await holder.authorize(await createLicense(db.pool, own.id))).status, 1)
    const fresh = await createLicense(db.pool, own.id)
    await createAccount(db.pool, own.id, { login: 'no-room' })
    const r = await login(c, { login: 'no-room', license: fresh })
    assert.equal(r.status, 602)
    assert.equal(r.login, 'no-room')
    assert.equal((await licenseLink(db.pool, own.id, fresh)).account_id, null)
    assert.equal((await accountRow(db.pool, own.id, 'no-room'))!.ip_address, null)
    await holder.closeAndWait()
    const ok = await login(c, { login: 'no-room', license: fresh })
    assert.equal(ok.status, 1)
    c.close()
  })
})

describe('type 4 — link license to account', () => {
  test('3 unless account-authorized; then 101, 102, 100, 106, 107, 105, and 1 growing the coverage at once', async () => {
    const own = await createApp(db.pool)
    const licensed = await initialized(own)
    assert.equal((await licensed.authorize(await createLicense(db.pool, own.id))).status, 1)
    assert.deepEqual(await licensed.request(4, { license: 'ANYTHING' }), { id: 3, status: 3 })
    const c = await initialized(own)
    assert.deepEqual(await c.request(4, { license: 'ANYTHING' }), { id: 2, status: 3 })

    const mine = await createLicense(db.pool, own.id, { activatedAgo: 1, expiresIn: 100, levels: { tier: 'short' } })
    await createAccount(db.pool, own.id, { login: 'linker', licenses: [mine] })
    const other = await createLicense(db.pool, own.id)
    await createAccount(db.pool, own.id, { licenses: [other] })
    const activated = await createLicense(db.pool, own.id, { activatedAgo: 1, expiresIn: 100 })
    const blacklisted = await createLicense(db.pool, own.id, { blacklisted: true })
    const fresh = await createLicense(db.pool, own.id, { durationSeconds: 50000, levels: { tier: 'long' } })
    assert.equal((await login(c, { login: 'linker' })).status, 1)
    const statuses = []
    for (const key of ['SHORT', 'L'.repeat(65), 'NO-SUCH-LICENSE', other, mine, activated, blacklisted, fresh]) {
      statuses.push((await c.request(4, { license: key })).status)
    }
    assert.deepEqual(statuses, [101, 102, 100, 106, 106, 107, 105, 1])
    const link = await licenseLink(db.pool, own.id, fresh)
    assert.equal(link.activated, true)
    assert.equal(link.client_id, null)
    const current = await c.request(16)
    assert.deepEqual(current.levels, { tier: 'long' })
    assert.ok((current.time_left as number) > 49000)
    c.close()
    licensed.close()
  })
})

describe('type 16 — get current account', () => {
  test('3 for a license session; 203 with the payload once coverage is gone; 3 after the account was deleted', async () => {
    const own = await createApp(db.pool)
    const licensed = await initialized(own)
    assert.equal((await licensed.authorize(await createLicense(db.pool, own.id))).status, 1)
    assert.deepEqual(await licensed.request(16), { id: 3, status: 3 })

    const key = await createLicense(db.pool, own.id, { activatedAgo: 1, expiresIn: 1000 })
    const account = await createAccount(db.pool, own.id, { login: 'reader', requiresLicense: true, licenses: [key] })
    const c = await initialized(own)
    assert.equal((await login(c, { login: 'reader' })).status, 1)
    // Paused behind the API's back: no event, so the session still holds it.
    await db.pool.query('UPDATE licenses SET paused_at = now() WHERE app_id = $1 AND key = $2', [own.id, key])
    assert.deepEqual(await c.request(16), { id: 3, login: 'reader', levels: {}, comment: 'vip', ip_address: '127.0.0.1', license_required: true, status: 203 })
    await db.pool.query('DELETE FROM accounts WHERE id = $1', [account.id])
    assert.deepEqual(await c.request(16), { id: 4, status: 3 })
    assert.equal(await authorizedSessions(db.pool, own.id), 1, 'only the license session holds a slot')
    c.close()
    licensed.close()
  })
})
