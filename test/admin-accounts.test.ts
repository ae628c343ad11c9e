import { before, test } from 'node:test'
import assert from 'node:assert/strict'
import { testDatabase, type TestDatabase } from './helpers/database.js'
import { startServer, type TestServer } from './helpers/server.js'
import { TestClient } from './helpers/client.js'
import { call, ISO, recordEvents, TOKEN } from './helpers/admin.js'
import { accountRow, createLicense, licenseLink, type TestApp } from './helpers/fixtures.js'
import type { LiveEvent } from '../src/events.js'

let db: TestDatabase
let server: TestServer
let events: LiveEvent[]

before(async t => {
  db = await testDatabase(t)
  server = await startServer(t, db, { adminTokens: [TOKEN] })
  events = recordEvents(server)
})

const ACCOUNT_KEYS = ['id', 'login', 'credentials_type', 'comment', 'requires_license', 'blacklisted_at', 'blacklist_comment',
  'ip_address', 'last_login_at', 'licenses', 'time_left', 'created_at', 'updated_at']
const PASSWORD = 'an admin-set password'

async function newApp (settings: Record<string, unknown> = {}): Promise<TestApp & { base: string }> {
  const created = await call(server, 'POST', '/apps', { name: 'Accounts', ...settings })
  assert.equal(created.status, 201)
  return { id: created.body.id, key: created.body.websocket_api_key, base: `/apps/${created.body.id}/accounts` }
}

test('POST creates an account: defaults, the app default for requires_license, linked licenses; never a password or hash', async () => {
  const app = await newApp({ accounts_require_license: true })
  const key = await createLicense(db.pool, app.id, { durationSeconds: 3600, levels: { tier: 'pro' } })
  const res = await call(server, 'POST', app.base, { login: 'Admin.Made', password: PASSWORD, comment: 'by hand', licenses: [key] })
  assert.equal(res.status, 201)
  assert.deepEqual(Object.keys(res.body), ACCOUNT_KEYS)
  assert.equal(res.body.login, 'Admin.Made')
  assert.equal(res.body.credentials_type, 0)
  assert.equal(res.body.comment, 'by hand')
  assert.equal(res.body.requires_license, true)
  assert.deepEqual(res.body.licenses, [key])
  assert.ok(res.body.time_left === 3600 || res.body.time_left === 3599, `time_left ${res.body.time_left}`)
  assert.equal(res.body.blacklisted_at, null)
  assert.equal(res.body.last_login_at, null)
  assert.match(res.body.created_at, ISO)
  assert.equal((await licenseLink(db.pool, app.id, key)).activated, true)
  const row = (await accountRow(db.pool, app.id, 'admin.made'))!
  assert.match(String(row.password_hash), /^\$argon2id\$/)
  assert.ok(!JSON.stringify(res.body).includes(PASSWORD) && !JSON.stringify(res.body).includes('argon2'))

  // The account logs in with that password.
  const c = await TestClient.connect(server.wsUrl)
  assert.equal((await c.initialize(app.key)).status, 1)
  assert.equal((await c.request(3, { login: 'admin.made', password: PASSWORD, credentials_type: 0 })).status, 1)
  c.close()

  const plain = await call(server, 'POST', app.base, { login: 'e@example.com', password: PASSWORD, credentials_type: 1, requires_license: false })
  assert.equal(plain.status, 201, 'an administrator may create an account without a license')
  assert.equal(plain.body.requires_license, false)
  assert.equal(plain.body.time_left, null)
  assert.deepEqual(plain.body.licenses, [])
})

test('POST validation: 400 as packet 1 would refuse, 404, 409 for a taken login, the quota and license states', async () => {
  const app = await newApp({ accounts_limit: 2 })
  const cases: [Record<string, unknown>, RegExp][] = [
    [{ login: 'abc', password: PASSWORD }, /^body\/login must be 4 to 320/],
    [{ login: '😀', password: PASSWORD }, /^body\/login must be 4 to 320/],
    [{ login: 'abcd', password: 'short' }, /^body\/password must be 8 to 128/],
    [{ login: 'not-an-email', password: PASSWORD, credentials_type: 1 }, /^body\/login must be an e-mail address/],
    [{ login: 'abcd', password: PASSWORD, credentials_type: 2 }, /^body\/credentials_type/],
    [{ login: 'abcd' }, /^body must have required property 'password'$/],
    [{ login: 'abcd', password: PASSWORD, comment: 'c'.repeat(257) }, /^body\/comment/],
    [{ login: 'abcd', password: PASSWORD, licenses: ['SHORT'] }, /^body\/licenses\/0 must be 6 to 64/],
    [{ login: 'abcd', password: PASSWORD, licenses: ['SAME-KEY-1', 'SAME-KEY-1'] }, /^body\/licenses\/1 repeats body\/licenses\/0$/]
  ]
  for (const [body, message] of cases) {
    const res = await call(server, 'POST', app.base, body)
    assert.equal(res.status, 400, JSON.stringify(body))
    assert.match(res.body.message, message)
  }
  assert.equal((await call(server, 'POST', '/apps/999999/accounts', { login: 'abcd', password: PASSWORD })).status, 404)

  const taken = await createLicense(db.pool, app.id)
  assert.equal((await call(server, 'POST', app.base, { login: 'Taken', password: PASSWORD, licenses: [taken] })).status, 201)
  const conflicts: [Record<string, unknown>, number, RegExp][] = [
    [{ login: 'TAKEN', password: PASSWORD }, 409, /^body\/login is taken in this app$/],
    [{ login: 'other', password: PASSWORD, licenses: ['NO-SUCH-KEY'] }, 404, /^body\/licenses\/0: license not found$/],
    [{ login: 'other', password: PASSWORD, licenses: [taken] }, 409, /^body\/licenses\/0: the license is linked to an account already$/],
    [{ login: 'other', password: PASSWORD, licenses: [await createLicense(db.pool, app.id, { activatedAgo: 1, expiresIn: 10 })] }, 409, /activated already/],
    [{ login: 'other', password: PASSWORD, licenses: [await createLicense(db.pool, app.id), await createLicense(db.pool, app.id, { blacklisted: true })] }, 409, /^body\/licenses\/1: the license is blacklisted$/]
  ]
  for (const [body, code, message] of conflicts) {
    const res = await call(server, 'POST', app.base, body)
    assert.equal(res.status, code, JSON.stringify(body))
    assert.match(res.body.message, message)
  }
  assert.equal((await call(server, 'POST', app.base, { login: 'second', password: PASSWORD })).status, 201)
  const full = await call(server, 'POST', app.base, { login: 'third', password: PASSWORD })
  assert.equal(full.status, 409)
  assert.match(full.body.message, /accounts_limit/)
})

test('GET lists a page at a time, filters by login prefix in any case; GET one; 404 and 400', async () => {
  const app = await newApp()
  for (const login of ['alpha-1', 'Alpha-2', 'beta-1', 'alp%ha', 'alpha_x']) {
    assert.equal((await call(server, 'POST', app.base, { login, password: PASSWORD })).status, 201)
  }
  const first = await call(server, 'GET', `${app.base}?limit=2`)
  assert.equal(first.status, 200)
  assert.deepEqual(first.body.items.map((a: { login: string }) => a.login), ['alpha-1', 'Alpha-2'])
  const second = await call(server, 'GET', `${app.base}?limit=2&cursor=${first.body.next_cursor}`)
  assert.deepEqual(second.body.items.map((a: { login: string }) => a.login), ['beta-1', 'alp%ha'])
  const last = await call(server, 'GET', `${app.base}?limit=2&cursor=${second.body.next_cursor}`)
  assert.deepEqual(last.body.items.map((a: { login: string }) => a.login), ['alpha_x'])
  assert.equal(last.body.next_cursor, null)

  const filtered = await call(server, 'GET', `${app.base}?q=ALPHA-`)
  assert.deepEqual(filtered.body.items.map((a: { login: string }) => a.login), ['alpha-1', 'Alpha-2'])
  // LIKE's wildcards in q are plain characters.
  assert.deepEqual((await call(server, 'GET', `${app.base}?q=alp%25`)).body.items.map((a: { login: string }) => a.login), ['alp%ha'])
  assert.deepEqual((await call(server, 'GET', `${app.base}?q=alpha_`)).body.items.map((a: { login: string }) => a.login), ['alpha_x'])

  const one = await call(server, 'GET', `${app.base}/${first.body.items[0].id}`)
  assert.deepEqual(one.body, first.body.items[0])
  assert.equal((await call(server, 'GET', `${app.base}/999999`)).body.message, 'account not found')
  assert.equal((await call(server, 'GET', '/apps/999999/accounts')).status, 404)
  assert.equal((await call(server, 'GET', `${app.base}/abc`)).status, 400)
  assert.equal((await call(server, 'GET', `${app.base}?cursor=bogus`)).status, 400)
  assert.equal((await call(server, 'GET', `${app.base}?limit=501`)).status, 400)
  // Another app's account is not found through this app.
  const other = await newApp()
  assert.equal((await call(server, 'GET', `${other.base}/${first.body.items[0].id}`)).status, 404)
})

test('PATCH changes comment and requires_license and resets the password; 400 for a short one', async () => {
  const app = await newApp()
  const created = (await call(server, 'POST', app.base, { login: 'patched', password: PASSWORD, comment: 'old' })).body
  const path = `${app.base}/${created.id}`
  events.length = 0
  const res = await call(server, 'PATCH', path, { comment: null, requires_license: true, password: 'a brand new password' })
  assert.equal(res.status, 200)
  assert.equal(res.body.comment, null)
  assert.equal(res.body.requires_license, true)
  assert.deepEqual(events, [{ type: 'coverage_changed', appId: app.id, accountId: created.id }])
  const c = await TestClient.connect(server.wsUrl)
  assert.equal((await c.initialize(app.key)).status, 1)
  assert.equal((await c.request(3, { login: 'patched', password: PASSWORD, credentials_type: 0 })).status, 200)
  assert.equal((await c.request(3, { login: 'patched', password: 'a brand new password', credentials_type: 0 })).status, 203)
  c.close()
  events.length = 0
  assert.equal((await call(server, 'PATCH', path, { comment: 'kept' })).body.requires_license, true)
  assert.deepEqual(events, [], 'nothing to re-check')
  assert.match((await call(server, 'PATCH', path, { password: 'short' })).body.message, /^body\/password must be 8 to 128/)
  assert.equal((await call(server, 'PATCH', `${app.base}/999999`, { comment: 'x' })).status, 404)
})

test('blacklist and unblacklist publish 300 and 301 once; delete publishes 302 and unlinks its licenses', async () => {
  const app = await newApp()
  const key = await createLicense(db.pool, app.id)
  const created = (await call(server, 'POST', app.base, { login: 'acted-on', password: PASSWORD, licenses: [key] })).body
  const path = `${app.base}/${created.id}`
  events.length = 0
  const banned = await call(server, 'POST', `${path}/blacklist`, { comment: 'chargeback' })
  assert.equal(banned.status, 200)
  assert.match(banned.body.blacklisted_at, ISO)
  assert.equal(banned.body.blacklist_comment, 'chargeback')
  assert.equal((await call(server, 'POST', `${path}/blacklist`)).status, 200)
  assert.equal((await call(server, 'POST', `${path}/unblacklist`)).body.blacklisted_at, null)
  assert.equal((await call(server, 'POST', `${path}/unblacklist`)).status, 200)
  const account = { appId: app.id, accountId: created.id }
  assert.deepEqual(events, [{ type: 'account_changed', ...account, event: 300 }, { type: 'account_changed', ...account, event: 301 }])

  events.length = 0
  assert.equal((await call(server, 'DELETE', path)).status, 204)
  assert.deepEqual(events, [{ type: 'account_changed', ...account, event: 302 }])
  assert.equal((await call(server, 'DELETE', path)).status, 404)
  assert.equal((await call(server, 'POST', `${path}/blacklist`)).status, 404)
  const link = await licenseLink(db.pool, app.id, key)
  assert.equal(link.account_id, null)
  assert.equal(link.activated, true)
})

test('link as packet 4 does (404, 409), unlink (404 when not linked to it); both re-check coverage', async () => {
  const app = await newApp()
  const a = (await call(server, 'POST', app.base, { login: 'linker-a', password: PASSWORD })).body
  const b = (await call(server, 'POST', app.base, { login: 'linker-b', password: PASSWORD })).body
  const fresh = await createLicense(db.pool, app.id, { durationSeconds: 600 })
  events.length = 0
  const linked = await call(server, 'POST', `${app.base}/${a.id}/licenses`, { key: fresh })
  assert.equal(linked.status, 200)
  assert.deepEqual(linked.body.licenses, [fresh])
  assert.ok(linked.body.time_left > 590)
  assert.deepEqual(events, [{ type: 'coverage_changed', appId: app.id, accountId: a.id }])

  const refusals: [string, number, RegExp][] = [
    ['NO-SUCH-KEY', 404, /^body\/key: license not found$/],
    [fresh, 409, /linked to an account already/],
    [await createLicense(db.pool, app.id, { activatedAgo: 1, expiresIn: 100 }), 409, /activated already/],
    [await createLicense(db.pool, app.id, { blacklisted: true }), 409, /blacklisted/]
  ]
  for (const [key, code, message] of refusals) {
    const res = await call(server, 'POST', `${app.base}/${b.id}/licenses`, { key })
    assert.equal(res.status, code, key)
    assert.match(res.body.message, message)
  }
  assert.equal((await call(server, 'POST', `${app.base}/999999/licenses`, { key: fresh })).status, 404)

  assert.equal((await call(server, 'DELETE', `${app.base}/${b.id}/licenses/${fresh}`)).status, 404, 'not linked to b')
  events.length = 0
  const unlinked = await call(server, 'DELETE', `${app.base}/${a.id}/licenses/${encodeURIComponent(fresh)}`)
  assert.equal(unlinked.status, 200)
  assert.deepEqual(unlinked.body.licenses, [])
  assert.equal(unlinked.body.time_left, null)
  assert.deepEqual(events, [{ type: 'coverage_changed', appId: app.id, accountId: a.id }])
  assert.equal((await call(server, 'GET', `/apps/${app.id}/licenses/${fresh}`)).body.state, 'active', 'the activation stays')
})

test('sessions list the login of account sessions; PATCH of the app changes the account settings', async () => {
  const app = await newApp()
  await call(server, 'POST', app.base, { login: 'Listed.User', password: PASSWORD })
  const c = await TestClient.connect(server.wsUrl)
  assert.equal((await c.initialize(app.key)).status, 1)
  assert.equal((await c.request(3, { login: 'listed.user', password: PASSWORD, credentials_type: 0 })).status, 1)
  const sessions = await call(server, 'GET', `/apps/${app.id}/sessions`)
  assert.equal(sessions.body.items[0].login, 'Listed.User')
  assert.equal(sessions.body.items[0].license, null)
  c.close()

  const patched = await call(server, 'PATCH', `/apps/${app.id}`, { accounts_limit: 1, accounts_require_license: true })
  assert.equal(patched.status, 200)
  assert.equal(patched.body.accounts_limit, 1)
  assert.equal(patched.body.accounts_require_license, true)
  assert.equal((await call(server, 'POST', app.base, { login: 'one-too-many', password: PASSWORD })).status, 409)
})
