import { before, describe, test } from 'node:test'
import assert from 'node:assert/strict'
import { testDatabase, type TestDatabase } from './helpers/database.js'
import { startServer, type TestServer } from './helpers/server.js'
import { TestClient, waitFor } from './helpers/client.js'
import { call, TOKEN } from './helpers/admin.js'
import { PASSWORD, authorizedSessions, createAccount, createApp, createLicense, type AccountFixture, type TestApp } from './helpers/fixtures.js'

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

const frame = (type: number): string => `{"id":18446744073709551615,"event_type":${type},"content":{}}`

interface Seat {
  client: TestClient
  app: TestApp
  accountId: number
  key: string
}

let devices = 0

/** An account-authorized session on the live instance, subscribed to panel events, covered by one license. */
async function seat (account: AccountFixture = {}, license: Parameters<typeof createLicense>[2] = { activatedAgo: 1, expiresIn: 3600 }, app?: TestApp): Promise<Seat> {
  app ??= await createApp(db.pool)
  const key = await createLicense(db.pool, app.id, license)
  const { id, login } = await createAccount(db.pool, app.id, { licenses: [key], ...account })
  const client = await TestClient.connect(live.wsUrl)
  assert.equal((await client.initialize(app.key, `device-${++devices}`)).status, 1)
  assert.equal((await client.request(3, { login, password: PASSWORD, credentials_type: 0 })).status, 1)
  assert.deepEqual(await client.request(17, { subscribed: true }), { id: 3, status: 1 })
  return { client, app, accountId: id, key }
}

async function withinTwoSeconds<T> (work: Promise<T>): Promise<T> {
  const started = Date.now()
  const result = await work
  assert.ok(Date.now() - started < 2000, `took ${Date.now() - started} ms`)
  return result
}

/** The next frame the session gets is this event, and it then holds no authorization (type 16 → 3). */
async function droppedWith (s: Seat, event: number, othersAuthorized = 0): Promise<void> {
  const pushed = await withinTwoSeconds(s.client.next(2500))
  assert.equal(pushed.event_type, event)
  assert.equal(s.client.raw.at(-1), frame(event))
  assert.equal((await s.client.request(16)).status, 3)
  await waitFor(async () => await authorizedSessions(db.pool, s.app.id) === othersAuthorized)
}

/** Nothing happened to the session: no frame arrived, and it is still authorized. */
async function untouched (s: Seat): Promise<void> {
  const frames = s.client.raw.length
  const r = await s.client.request(16)
  assert.equal(r.status, 1)
  assert.equal(s.client.raw.length, frames + 1, 'no event frame')
}

describe('admin account actions reach the account\'s sessions', () => {
  test('blacklist: event 300, authorization and slot dropped; a second session of another account stays', async () => {
    const a = await seat()
    const b = await seat({}, undefined, a.app)
    const r = await call(admin, 'POST', `/apps/${a.app.id}/accounts/${a.accountId}/blacklist`, { comment: 'fraud' })
    assert.equal(r.status, 200)
    await droppedWith(a, 300, 1)
    await untouched(b)
    a.client.close()
    b.client.close()
  })

  test('unblacklist: event 301, the session keeps its authorization', async () => {
    const a = await seat()
    // Blacklisted behind the API's back, so the session still holds the account.
    await db.pool.query('UPDATE accounts SET blacklisted_at = now() WHERE id = $1', [a.accountId])
    assert.equal((await call(admin, 'POST', `/apps/${a.app.id}/accounts/${a.accountId}/unblacklist`)).status, 200)
    assert.equal((await withinTwoSeconds(a.client.next(2500))).event_type, 301)
    assert.equal((await a.client.request(16)).status, 1)
    a.client.close()
  })

  test('delete: event 302, authorization and slot dropped, its license unlinked but kept', async () => {
    const a = await seat()
    assert.equal((await call(admin, 'DELETE', `/apps/${a.app.id}/accounts/${a.accountId}`)).status, 204)
    await droppedWith(a, 302)
    const license = await call(admin, 'GET', `/apps/${a.app.id}/licenses/${a.key}`)
    assert.equal(license.body.state, 'active')
    a.client.close()
  })

  test('unlink of the only covering license: event 2 when the account requires a license, nothing when it does not', async () => {
    const a = await seat({ requiresLicense: true })
    const b = await seat({ requiresLicense: false })
    for (const s of [a, b]) {
      const r = await call(admin, 'DELETE', `/apps/${s.app.id}/accounts/${s.accountId}/licenses/${s.key}`)
      assert.equal(r.status, 200)
      assert.deepEqual(r.body.licenses, [])
    }
    await droppedWith(a, 2)
    await untouched(b)
    assert.equal((await b.client.request(16)).time_left, undefined, 'no coverage left')
    a.client.close()
    b.client.close()
  })

  test('requires_license switched on for an uncovered account: event 2', async () => {
    const a = await seat({ requiresLicense: false }, { activatedAgo: 100, expiresIn: -1 })
    assert.equal((await call(admin, 'PATCH', `/apps/${a.app.id}/accounts/${a.accountId}`, { requires_license: true })).status, 200)
    await droppedWith(a, 2)
    a.client.close()
  })
})

describe("license actions on a linked license reach the account's sessions", () => {
  for (const [action, method, path] of [
    ['pause', 'POST', '/pause'], ['blacklist', 'POST', '/blacklist'], ['reinitialize', 'POST', '/reinitialize'], ['delete', 'DELETE', '']
  ] as const) {
    test(`${action} of the covering license: event 2 for an account that requires a license`, async () => {
      const a = await seat({ requiresLicense: true })
      const r = await call(admin, method, `/apps/${a.app.id}/licenses/${a.key}${path}`)
      assert.ok(r.status === 200 || r.status === 204)
      await droppedWith(a, 2)
      a.client.close()
    })
  }

  test('pause of one of two covering licenses: the session stays, covered by the other', async () => {
    const a = await seat({ requiresLicense: true })
    const other = await createLicense(db.pool, a.app.id, { activatedAgo: 1, expiresIn: 100, levels: { tier: 'other' } })
    await db.pool.query('UPDATE licenses SET account_id = $1 WHERE app_id = $2 AND key = $3', [a.accountId, a.app.id, other])
    assert.equal((await call(admin, 'POST', `/apps/${a.app.id}/licenses/${a.key}/pause`)).status, 200)
    await new Promise(resolve => setTimeout(resolve, 300))
    await untouched(a)
    assert.deepEqual((await a.client.request(16)).levels, { tier: 'other' })
    a.client.close()
  })
})

describe('coverage running out while connected', () => {
  test('the last covering license expires: event 2 within 2 s for an account that requires a license', async () => {
    const a = await seat({ requiresLicense: true }, { activatedAgo: 10, expiresIn: 1 })
    const pushed = await a.client.next(3500)
    assert.equal(pushed.event_type, 2)
    assert.equal((await a.client.request(16)).status, 3)
    await waitFor(async () => await authorizedSessions(db.pool, a.app.id) === 0)
    a.client.close()
  })

  test('an admin link before the end keeps the session: the watcher finds the new coverage', async () => {
    const a = await seat({ requiresLicense: true }, { activatedAgo: 10, expiresIn: 1 })
    const next = await createLicense(db.pool, a.app.id, { durationSeconds: 3600 })
    assert.equal((await call(admin, 'POST', `/apps/${a.app.id}/accounts/${a.accountId}/licenses`, { key: next })).status, 200)
    await new Promise(resolve => setTimeout(resolve, 2500))
    await untouched(a)
    assert.ok(((await a.client.request(16)).time_left as number) > 3500)
    a.client.close()
  })

  test('an account that does not require a license stays authorized when its coverage runs out', async () => {
    const a = await seat({ requiresLicense: false }, { activatedAgo: 10, expiresIn: 1 })
    await new Promise(resolve => setTimeout(resolve, 2500))
    await untouched(a)
    assert.equal((await a.client.request(16)).time_left, undefined)
    a.client.close()
  })
})
