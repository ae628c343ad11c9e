import { before, beforeEach, test } from 'node:test'
import assert from 'node:assert/strict'
import { testDatabase, type TestDatabase } from './helpers/database.js'
import { startServer, type TestServer } from './helpers/server.js'
import { createApp, createLicense, createLicenses, licenseRow, type TestApp } from './helpers/fixtures.js'
import { ISO, call, recordEvents } from './helpers/admin.js'
import { LicenseEvent, type LiveEvent } from '../src/events.js'
import { TOKEN } from './helpers/admin.js'

const DAY = 86400
let db: TestDatabase
let server: TestServer
let events: LiveEvent[]
let app: TestApp

before(async t => {
  db = await testDatabase(t)
  server = await startServer(t, db, { adminTokens: [TOKEN] })
  events = recordEvents(server)
})

beforeEach(async () => {
  app = await createApp(db.pool)
  events.length = 0
})

const LICENSE_KEYS = ['key', 'levels', 'comment', 'duration_seconds', 'state', 'activated_at', 'expires_at', 'paused_at',
  'blacklisted_at', 'blacklist_comment', 'client_id', 'ip_address', 'created_at', 'updated_at']

const path = (key: string, action = ''): string => `/apps/${app.id}/licenses/${encodeURIComponent(key)}${action === '' ? '' : `/${action}`}`

async function licenseId (key: string): Promise<number> {
  const { rows } = await db.pool.query('SELECT id FROM licenses WHERE app_id = $1 AND key = $2', [app.id, key])
  return Number(rows[0].id)
}

/** Seconds from the database's now to the license's expiry. */
async function expiresIn (key: string): Promise<number> {
  const row = await licenseRow(db.pool, app.id, key)
  const { rows } = await db.pool.query('SELECT extract(epoch FROM now())::float8 AS now')
  return Number(row!.expires_epoch) - rows[0].now
}

test('POST licenses generates `count` keys from the CSPRNG alphabet', async () => {
  const res = await call(server, 'POST', `/apps/${app.id}/licenses`, { count: 3, duration: '30d', levels: { tier: 'pro' }, comment: 'batch' })
  assert.equal(res.status, 201)
  assert.equal(res.body.items.length, 3)
  for (const l of res.body.items) {
    assert.deepEqual(Object.keys(l).sort(), [...LICENSE_KEYS].sort())
    assert.match(l.key, /^[A-Z0-9]{5}(-[A-Z0-9]{5}){3}$/)
    assert.deepEqual(l.levels, { tier: 'pro' })
    assert.equal(l.comment, 'batch')
    assert.equal(l.duration_seconds, 30 * DAY)
    assert.equal(l.state, 'available')
    for (const field of ['activated_at', 'expires_at', 'paused_at', 'blacklisted_at', 'client_id', 'ip_address']) assert.equal(l[field], null)
    assert.match(l.created_at, ISO)
  }
  assert.equal(new Set(res.body.items.map((l: { key: string }) => l.key)).size, 3)

  const one = await call(server, 'POST', `/apps/${app.id}/licenses`, { duration: 3600 })
  assert.equal(one.status, 201)
  assert.equal(one.body.items.length, 1, 'count defaults to 1')
  assert.deepEqual(one.body.items[0].levels, {})
  assert.equal(one.body.items[0].comment, null)
  assert.equal(one.body.items[0].duration_seconds, 3600)
})

test('POST licenses with explicit keys; duplicates are 409 and insert nothing', async () => {
  const res = await call(server, 'POST', `/apps/${app.id}/licenses`, { keys: ['MY-KEY-1', 'my key ü 2'], duration: '1h30m' })
  assert.equal(res.status, 201)
  assert.deepEqual(res.body.items.map((l: { key: string }) => l.key), ['MY-KEY-1', 'my key ü 2'])
  assert.equal(res.body.items[0].duration_seconds, 5400)

  const count = async (): Promise<number> => (await db.pool.query('SELECT count(*)::int AS n FROM licenses WHERE app_id = $1', [app.id])).rows[0].n
  const existing = await call(server, 'POST', `/apps/${app.id}/licenses`, { keys: ['FRESH-KEY', 'MY-KEY-1'], duration: '1d' })
  assert.equal(existing.status, 409)
  assert.deepEqual(existing.body, { statusCode: 409, error: 'Conflict', message: 'body/keys/1 already exists in this app' })
  const within = await call(server, 'POST', `/apps/${app.id}/licenses`, { keys: ['SAME-KEY', 'OTHER-KEY', 'SAME-KEY'], duration: '1d' })
  assert.equal(within.status, 409)
  assert.equal(within.body.message, 'body/keys/2 repeats body/keys/0')
  assert.equal(await count(), 2, 'nothing inserted by the failed requests')

  // The same key in another app is fine: keys are unique per app.
  const other = await createApp(db.pool)
  assert.equal((await call(server, 'POST', `/apps/${other.id}/licenses`, { keys: ['MY-KEY-1'], duration: '1d' })).status, 201)
})

test('POST licenses validates every field with a message naming it', async () => {
  const cases: [unknown, RegExp][] = [
    [{}, /^body must have required property 'duration'$/],
    [{ duration: 'abc' }, /^body\/duration: invalid duration "abc": expected a positive number of seconds/],
    [{ duration: '1h1h' }, /^body\/duration: invalid duration "1h1h": unit "h" appears twice$/],
    [{ duration: 0 }, /^body\/duration/],
    [{ duration: '0' }, /^body\/duration: invalid duration "0"/],
    [{ duration: -5 }, /^body\/duration/],
    [{ duration: 1.5 }, /^body\/duration/],
    [{ duration: true }, /^body\/duration must be integer, body\/duration must be string/],
    [{ duration: null }, /^body\/duration/],
    [{ duration: '1d', count: 0 }, /^body\/count must be >= 1$/],
    [{ duration: '1d', count: 1001 }, /^body\/count must be <= 1000$/],
    [{ duration: '1d', count: 'many' }, /^body\/count must be integer$/],
    [{ duration: '1d', count: '2' }, /^body\/count must be integer$/],
    [{ duration: '1d', keys: [] }, /^body\/keys must NOT have fewer than 1 items$/],
    [{ duration: '1d', keys: ['short'] }, /^body\/keys\/0 must NOT have fewer than 6 characters$/],
    [{ duration: '1d', keys: ['OK-KEY-1', 'x'.repeat(65)] }, /^body\/keys\/1 must NOT have more than 64 characters$/],
    [{ duration: '1d', keys: ['NUL\u0000KEY'] }, /^body\/keys\/0 must match pattern/],
    // Lengths count UTF-16 units, as the protocol does: 40 astral characters are 80 of them.
    [{ duration: '1d', keys: ['😀'.repeat(40)] }, /^body\/keys\/0 must NOT have more than 64 characters$/],
    [{ duration: '1d', keys: ['OK-KEY-1'], count: 1 }, /^body\/count and body\/keys are exclusive/],
    [{ duration: '1d', levels: 'pro' }, /^body\/levels must be object$/],
    [{ duration: '1d', levels: { a: 'x\u0000' } }, /^body\/levels must not contain NUL characters$/],
    [{ duration: '1d', comment: 'a\u0000' }, /body\/comment must match pattern/],
    [{ duration: '1d', comment: 5 }, /body\/comment must be/]
  ]
  for (const [body, message] of cases) {
    const res = await call(server, 'POST', `/apps/${app.id}/licenses`, body)
    assert.equal(res.status, 400, JSON.stringify(body))
    assert.match(res.body.message, message, JSON.stringify(body))
  }
  const { rows } = await db.pool.query('SELECT count(*)::int AS n FROM licenses WHERE app_id = $1', [app.id])
  assert.equal(rows[0].n, 0)
  assert.equal((await call(server, 'POST', '/apps/999999/licenses', { duration: '1d' })).status, 404)
})

test('GET a license, PATCH levels and comment, DELETE it with event 204', async () => {
  const key = await createLicense(db.pool, app.id, { levels: { tier: 'basic' }, comment: 'old' })
  const got = await call(server, 'GET', path(key))
  assert.equal(got.status, 200)
  assert.equal(got.body.key, key)
  assert.deepEqual(got.body.levels, { tier: 'basic' })

  const levels = await call(server, 'PATCH', path(key), { levels: { tier: 'pro', seats: 3 } })
  assert.equal(levels.status, 200)
  assert.deepEqual(levels.body.levels, { tier: 'pro', seats: 3 })
  assert.equal(levels.body.comment, 'old', 'an absent comment is kept')
  const cleared = await call(server, 'PATCH', path(key), { comment: null })
  assert.equal(cleared.body.comment, null)
  assert.deepEqual(cleared.body.levels, { tier: 'pro', seats: 3 }, 'absent levels are kept')
  const bad = await call(server, 'PATCH', path(key), { levels: [1] })
  assert.equal(bad.status, 400)
  assert.match(bad.body.message, /^body\/levels must be object$/)
  assert.deepEqual(events, [], 'edits push nothing')

  const id = await licenseId(key)
  const deleted = await call(server, 'DELETE', path(key))
  assert.equal(deleted.status, 204)
  assert.deepEqual(events, [{ type: 'license_changed', appId: app.id, licenseId: id, event: LicenseEvent.Deleted }])
  assert.equal((await call(server, 'GET', path(key))).status, 404)
  assert.equal((await call(server, 'DELETE', path(key))).status, 404)
})

test('unknown licenses and apps are 404s that do not echo the key', async () => {
  const key = await createLicense(db.pool, app.id)
  const routes: [string, string, unknown?][] = [
    ['GET', ''], ['PATCH', '', { comment: 'x' }], ['DELETE', ''],
    ['POST', 'pause'], ['POST', 'unpause'], ['POST', 'blacklist', {}], ['POST', 'unblacklist'],
    ['POST', 'reset-client'], ['POST', 'reinitialize'], ['POST', 'extend', { duration: '1d' }]
  ]
  for (const [method, action, body] of routes) {
    const res = await call(server, method, path('NO-SUCH-KEY', action), body)
    assert.equal(res.status, 404, `${method} ${action}`)
    assert.deepEqual(res.body, { statusCode: 404, error: 'Not Found', message: 'license not found' })
    const noApp = await call(server, method, `/apps/999999/licenses/${key}${action === '' ? '' : `/${action}`}`, body)
    assert.equal(noApp.status, 404)
    assert.equal(noApp.body.message, 'app 999999 not found')
  }
  assert.equal((await call(server, 'GET', '/apps/999999/licenses')).status, 404)
  const nul = await call(server, 'GET', path('BAD\u0000KEY'))
  assert.equal(nul.status, 400)
  assert.match(nul.body.message, /^params\/key must match pattern/)
  assert.deepEqual(events, [])
})

test('license states and the state filter', async () => {
  const keys = {
    available: await createLicense(db.pool, app.id),
    active: await createLicense(db.pool, app.id, { activatedAgo: 60, expiresIn: DAY }),
    expired: await createLicense(db.pool, app.id, { activatedAgo: 2 * DAY, expiresIn: -DAY }),
    paused: await createLicense(db.pool, app.id, { activatedAgo: 60, expiresIn: DAY, pausedAgo: 10 }),
    blacklisted: await createLicense(db.pool, app.id, { activatedAgo: 60, expiresIn: DAY, pausedAgo: 10, blacklisted: true })
  }
  for (const [state, key] of Object.entries(keys)) {
    assert.equal((await call(server, 'GET', path(key))).body.state, state, key)
    const filtered = await call(server, 'GET', `/apps/${app.id}/licenses?state=${state}`)
    assert.equal(filtered.status, 200)
    assert.deepEqual(filtered.body, { items: [(await call(server, 'GET', path(key))).body], next_cursor: null })
  }
  const all = await call(server, 'GET', `/apps/${app.id}/licenses`)
  assert.deepEqual(all.body.items.map((l: { key: string }) => l.key), Object.values(keys), 'creation order')
  const bad = await call(server, 'GET', `/apps/${app.id}/licenses?state=gone`)
  assert.equal(bad.status, 400)
  assert.equal(bad.body.message, 'querystring/state must be one of "available", "active", "expired", "paused", "blacklisted"')
})

test('pagination neither repeats nor skips while licenses are added between pages', async () => {
  const initial = await createLicenses(db.pool, app.id, 25)
  const seen: string[] = []
  let cursor: string | null = null
  let pages = 0
  do {
    const res: { status: number, body: { items: { key: string }[], next_cursor: string | null } } =
      await call(server, 'GET', `/apps/${app.id}/licenses?limit=10${cursor === null ? '' : `&cursor=${cursor}`}`)
    assert.equal(res.status, 200)
    assert.ok(res.body.items.length <= 10)
    seen.push(...res.body.items.map(l => l.key))
    cursor = res.body.next_cursor
    // Newer licenses arrive while the client pages through.
    if (pages++ < 3) await createLicenses(db.pool, app.id, 4)
  } while (cursor !== null && pages < 20)
  const { rows } = await db.pool.query('SELECT key FROM licenses WHERE app_id = $1 ORDER BY id', [app.id])
  assert.equal(new Set(seen).size, seen.length, 'no license twice')
  for (const key of initial) assert.ok(seen.includes(key), 'no license that existed at the start skipped')
  assert.deepEqual(seen, rows.map(r => r.key), 'the pages, in order, are the whole table')
  assert.equal(rows.length, 37)
  assert.equal(pages, 4)

  const exact = await call(server, 'GET', `/apps/${app.id}/licenses?limit=37`)
  assert.equal(exact.body.items.length, 37)
  assert.equal(exact.body.next_cursor, null, 'no empty last page')

  for (const [query, message] of [
    ['limit=0', /^querystring\/limit must be >= 1$/],
    ['limit=501', /^querystring\/limit must be <= 500$/],
    ['limit=ten', /^querystring\/limit must be integer$/],
    ['cursor=garbage', /^querystring\/cursor is not a cursor this API returned$/]
  ] as const) {
    const res = await call(server, 'GET', `/apps/${app.id}/licenses?${query}`)
    assert.equal(res.status, 400, query)
    assert.match(res.body.message, message)
  }
})

test('pause freezes the remaining time and unpause gives the paused span back', async () => {
  const key = await createLicense(db.pool, app.id, { activatedAgo: DAY, expiresIn: 10 * DAY, clientId: 'device-0001' })
  const paused = await call(server, 'POST', path(key, 'pause'))
  assert.equal(paused.status, 200)
  assert.equal(paused.body.state, 'paused')
  assert.match(paused.body.paused_at, ISO)
  const id = await licenseId(key)
  assert.deepEqual(events, [{ type: 'license_changed', appId: app.id, licenseId: id, event: LicenseEvent.Paused }])

  events.length = 0
  const again = await call(server, 'POST', path(key, 'pause'))
  assert.equal(again.status, 200)
  assert.equal(again.body.paused_at, paused.body.paused_at, 'pausing twice keeps the first pause')
  assert.deepEqual(events, [], 'and pushes nothing')

  // Three days pass while paused.
  await db.pool.query("UPDATE licenses SET paused_at = paused_at - interval '3 days' WHERE id = $1", [id])
  const before = await expiresIn(key)
  const unpaused = await call(server, 'POST', path(key, 'unpause'))
  assert.equal(unpaused.status, 200)
  assert.equal(unpaused.body.state, 'active')
  assert.equal(unpaused.body.paused_at, null)
  const after = await expiresIn(key)
  assert.ok(Math.abs(after - before - 3 * DAY) < 5, `expiry moved by ${after - before} s`)
  assert.ok(Math.abs(after - 13 * DAY) < 5, 'ten days were left and are left again, plus three')
  assert.deepEqual(events, [{ type: 'license_changed', appId: app.id, licenseId: id, event: LicenseEvent.Unpaused }])

  events.length = 0
  const noop = await call(server, 'POST', path(key, 'unpause'))
  assert.equal(noop.status, 200)
  assert.ok(Math.abs(await expiresIn(key) - after) < 2)
  assert.deepEqual(events, [])

  const fresh = await createLicense(db.pool, app.id)
  await call(server, 'POST', path(fresh, 'pause'))
  const unpausedFresh = await call(server, 'POST', path(fresh, 'unpause'))
  assert.equal(unpausedFresh.body.state, 'available')
  assert.equal(unpausedFresh.body.expires_at, null, 'a never-activated license gets no expiry')
})

test('extend: from the expiry, from now once expired, frozen while paused, else the duration', async () => {
  const active = await createLicense(db.pool, app.id, { activatedAgo: DAY, expiresIn: 2 * DAY })
  const res = await call(server, 'POST', path(active, 'extend'), { duration: '1d' })
  assert.equal(res.status, 200)
  assert.equal(res.body.state, 'active')
  assert.ok(Math.abs(await expiresIn(active) - 3 * DAY) < 5)
  assert.equal(res.body.duration_seconds, DAY, 'the duration of an activated license stays')

  const expired = await createLicense(db.pool, app.id, { activatedAgo: 10 * DAY, expiresIn: -5 * DAY })
  const revived = await call(server, 'POST', path(expired, 'extend'), { duration: 7200 })
  assert.equal(revived.body.state, 'active')
  assert.ok(Math.abs(await expiresIn(expired) - 7200) < 5, 'an expired license gets the time from now')

  const paused = await createLicense(db.pool, app.id, { activatedAgo: DAY, expiresIn: DAY, pausedAgo: 2 * DAY })
  const pausedExtended = await call(server, 'POST', path(paused, 'extend'), { duration: '1w' })
  assert.equal(pausedExtended.body.state, 'paused')
  assert.ok(Math.abs(await expiresIn(paused) - 8 * DAY) < 5, 'added to the frozen expiry')

  const fresh = await createLicense(db.pool, app.id, { durationSeconds: DAY })
  const longer = await call(server, 'POST', path(fresh, 'extend'), { duration: '12h' })
  assert.equal(longer.body.duration_seconds, DAY + 12 * 3600)
  assert.equal(longer.body.expires_at, null)
  assert.equal(longer.body.state, 'available')

  for (const body of [{}, { duration: 'soon' }, { duration: 0 }]) {
    const bad = await call(server, 'POST', path(fresh, 'extend'), body)
    assert.equal(bad.status, 400)
    assert.match(bad.body.message, /^body( must have required property 'duration'|\/duration)/)
  }
  assert.deepEqual(events, [], 'an extension pushes no event')
})

test('reset-client, reinitialize, blacklist and unblacklist', async () => {
  const key = await createLicense(db.pool, app.id, { activatedAgo: DAY, expiresIn: DAY, pausedAgo: 60, clientId: 'device-0001', ipAddress: '10.0.0.1' })
  const id = await licenseId(key)
  const change = (event: number): LiveEvent => ({ type: 'license_changed', appId: app.id, licenseId: id, event: event as never })

  const reset = await call(server, 'POST', path(key, 'reset-client'))
  assert.equal(reset.status, 200)
  assert.equal(reset.body.client_id, null)
  assert.equal(reset.body.ip_address, null)
  assert.notEqual(reset.body.activated_at, null, 'the activation stays')
  assert.deepEqual(events.splice(0), [change(LicenseEvent.ClientIdReset)])
  await call(server, 'POST', path(key, 'reset-client'))
  assert.deepEqual(events.splice(0), [], 'nothing left to reset')

  const blacklisted = await call(server, 'POST', path(key, 'blacklist'), { comment: 'chargeback' })
  assert.equal(blacklisted.status, 200)
  assert.equal(blacklisted.body.state, 'blacklisted')
  assert.equal(blacklisted.body.blacklist_comment, 'chargeback')
  assert.match(blacklisted.body.blacklisted_at, ISO)
  assert.deepEqual(events.splice(0), [change(LicenseEvent.Blacklisted)])
  const noBody = await call(server, 'POST', path(key, 'blacklist'))
  assert.equal(noBody.status, 200, 'the body is optional')
  assert.equal(noBody.body.blacklisted_at, blacklisted.body.blacklisted_at)
  assert.deepEqual(events.splice(0), [], 'already blacklisted')
  const badComment = await call(server, 'POST', path(key, 'blacklist'), { comment: { text: 'x' } })
  assert.equal(badComment.status, 400)
  assert.match(badComment.body.message, /body\/comment/)

  await db.pool.query("UPDATE licenses SET client_id = 'device-0002', ip_address = '10.0.0.2' WHERE id = $1", [id])
  const reinit = await call(server, 'POST', path(key, 'reinitialize'))
  assert.equal(reinit.status, 200)
  for (const field of ['activated_at', 'expires_at', 'paused_at', 'client_id', 'ip_address']) assert.equal(reinit.body[field], null, field)
  assert.equal(reinit.body.state, 'blacklisted', 'the blacklisting stays')
  assert.deepEqual(events.splice(0), [change(LicenseEvent.Reinitialized)])

  const lifted = await call(server, 'POST', path(key, 'unblacklist'))
  assert.equal(lifted.status, 200)
  assert.equal(lifted.body.state, 'available')
  assert.equal(lifted.body.blacklisted_at, null)
  assert.equal(lifted.body.blacklist_comment, null)
  assert.deepEqual(events.splice(0), [change(LicenseEvent.Unblacklisted)])
  await call(server, 'POST', path(key, 'unblacklist'))
  await call(server, 'POST', path(key, 'reinitialize'))
  assert.deepEqual(events.splice(0), [], 'no-ops push nothing')
})

test('license keys in request URLs are redacted in the request log', async () => {
  const lines: string[] = []
  const Fastify = (await import('fastify')).default
  const licensewire = (await import('../src/index.js')).default
  const logged = Fastify({ logger: { level: 'info', stream: { write: (line: string) => { lines.push(line) } } } })
  await logged.register(licensewire, { pool: db.pool, events: 'local', adminTokens: [TOKEN] })
  try {
    const key = await createLicense(db.pool, app.id, { key: 'SECRET-LICENSE-KEY-123' })
    const res = await logged.inject({ method: 'GET', url: `/admin/v1/apps/${app.id}/licenses/${key}`, headers: { authorization: `Bearer ${TOKEN}` } })
    assert.equal(res.statusCode, 200)
    const missing = await logged.inject({ method: 'POST', url: `/admin/v1/apps/${app.id}/licenses/SECRET-OTHER-KEY-456/pause`, headers: { authorization: `Bearer ${TOKEN}` } })
    assert.equal(missing.statusCode, 404)
    const text = lines.join('')
    assert.match(text, /incoming request/)
    assert.match(text, /\/licenses\/SECR…"/)
    assert.doesNotMatch(text, /SECRET-LICENSE-KEY-123|SECRET-OTHER-KEY-456/)
    assert.doesNotMatch(text, new RegExp(TOKEN))
  } finally {
    await logged.close()
  }
})
