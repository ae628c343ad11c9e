import { before, describe, test } from 'node:test'
import assert from 'node:assert/strict'
import { testDatabase, type TestDatabase } from './helpers/database.js'
import { startServer, type TestServer } from './helpers/server.js'
import { TestClient, waitFor } from './helpers/client.js'
import { TOKEN, call } from './helpers/admin.js'
import {
  PASSWORD, accountRow, authorizedSessions, blacklistClient, blacklistEntries, createAccount, createApp, createLicense, licenseRow,
  sessionRows, type TestApp
} from './helpers/fixtures.js'

// Type 6: a session blacklists itself.
let db: TestDatabase
let server: TestServer

before(async t => {
  db = await testDatabase(t)
  server = await startServer(t, db, { adminTokens: [TOKEN] })
})

const BLACKLISTED = { code: 4203, reason: 'session was blacklisted' }
const EXTERNAL = { code: 4204, reason: 'external ID is blacklisted' }
const EVENT_201 = '{"id":18446744073709551615,"event_type":201,"content":{}}'

async function session (app: TestApp, clientId: string, license?: string): Promise<TestClient> {
  const c = await TestClient.connect(server.wsUrl)
  assert.equal((await c.initialize(app.key, clientId)).status, 1)
  if (license !== undefined) assert.equal((await c.authorize(license)).status, 1)
  return c
}

describe('type 6 — blacklist', () => {
  test('an initialized session: 1, then close 4203; its client_id is on the blacklist as its own entry', async () => {
    const app = await createApp(db.pool)
    const c = await session(app, 'device-self')
    assert.deepEqual(await c.request(6, { comment: 'I was stolen' }), { id: 2, status: 1 })
    assert.deepEqual(await c.closed, BLACKLISTED)
    assert.equal(c.raw.length, 2, 'nothing after the answer')
    assert.deepEqual(await blacklistEntries(db.pool, app.id), [{ client_id: 'device-self', comment: 'I was stolen', source: 'client' }])
    const listed = await call(server, 'GET', `/apps/${app.id}/blacklist`)
    assert.deepEqual(listed.body.items.map((e: Record<string, unknown>) => [e.client_id, e.comment, e.source]), [['device-self', 'I was stolen', 'client']])
    await waitFor(async () => await sessionRows(db.pool, app.id) === 0)

    const again = await TestClient.connect(server.wsUrl)
    assert.deepEqual(await again.initialize(app.key, 'device-self'), { id: 1, status: 503 })
    assert.deepEqual(await again.closed, EXTERNAL)
  })

  test('a license-authorized session: its license is blacklisted with the comment, and its slot given back at once', async () => {
    const app = await createApp(db.pool)
    const key = await createLicense(db.pool, app.id)
    const c = await session(app, 'device-0001', key)
    assert.equal(await authorizedSessions(db.pool, app.id), 1)
    assert.deepEqual(await c.request(6, { comment: 'refund' }), { id: 3, status: 1 })
    // Read before the close is handled: the slot went back in the same transaction.
    assert.equal(await authorizedSessions(db.pool, app.id), 0)
    const row = await licenseRow(db.pool, app.id, key)
    assert.ok(row?.blacklisted_at instanceof Date)
    assert.equal(row.blacklist_comment, 'refund')
    assert.equal(row.client_id, 'device-0001', 'the binding stays')
    assert.deepEqual(await c.closed, BLACKLISTED)

    const other = await session(app, 'device-0002')
    const refused = await other.authorize(key)
    assert.equal(refused.status, 105)
    other.close()
  })

  test('without a comment, the entry and the license carry none', async () => {
    const app = await createApp(db.pool)
    const key = await createLicense(db.pool, app.id)
    const c = await session(app, 'device-0001', key)
    assert.deepEqual(await c.request(6), { id: 3, status: 1 })
    assert.deepEqual(await c.closed, BLACKLISTED)
    assert.deepEqual(await blacklistEntries(db.pool, app.id), [{ client_id: 'device-0001', comment: null, source: 'client' }])
    assert.equal((await licenseRow(db.pool, app.id, key))?.blacklist_comment, null)
  })

  test('a comment of 256 characters is taken; 257, or not a string, closes 4302 and changes nothing', async () => {
    const app = await createApp(db.pool)
    for (const [clientId, comment] of [['device-0001', 'x'.repeat(256)], ['device-0002', '😀'.repeat(128)]]) {
      const c = await session(app, clientId!)
      assert.deepEqual(await c.request(6, { comment }), { id: 2, status: 1 })
      assert.deepEqual(await c.closed, BLACKLISTED)
    }
    for (const comment of ['x'.repeat(257), '😀'.repeat(128) + 'x', 5, null, ['a'], 'a\u0000b']) {
      const key = await createLicense(db.pool, app.id)
      const c = await session(app, 'device-0003', key)
      c.send(6, { comment })
      assert.deepEqual(await c.closed, { code: 4302, reason: 'invalid request body' }, JSON.stringify(comment).slice(0, 40))
      assert.equal((await licenseRow(db.pool, app.id, key))?.blacklisted_at, null)
    }
    assert.deepEqual((await blacklistEntries(db.pool, app.id)).map(e => e.client_id), ['device-0001', 'device-0002'])
  })

  test('604 once the blacklist holds blacklist_limit entries: the socket stays open and nothing changes', async () => {
    const app = await createApp(db.pool, { blacklistLimit: 2 })
    await blacklistClient(db.pool, app.id, 'device-bad1')
    await blacklistClient(db.pool, app.id, 'device-bad2')
    const key = await createLicense(db.pool, app.id)
    const c = await session(app, 'device-0001', key)
    assert.deepEqual(await c.request(6, { comment: 'no room' }), { id: 3, status: 604 })
    assert.equal((await c.request(15)).status, 1, 'still open and still authorized')
    assert.equal(await authorizedSessions(db.pool, app.id), 1)
    assert.equal((await licenseRow(db.pool, app.id, key))?.blacklisted_at, null)
    assert.equal((await blacklistEntries(db.pool, app.id)).length, 2)

    // Raised through the management API, the limit lets it through.
    assert.equal((await call(server, 'PATCH', `/apps/${app.id}`, { blacklist_limit: 3 })).status, 200)
    assert.deepEqual(await c.request(6, { comment: 'room now' }), { id: 5, status: 1 })
    assert.deepEqual(await c.closed, BLACKLISTED)

    // The client's own entries count too.
    const d = await session(app, 'device-0002')
    assert.deepEqual(await d.request(6), { id: 2, status: 604 })
    assert.equal((await d.request(10)).status, 1, 'still open')
    d.close()

    const none = await createApp(db.pool, { blacklistLimit: 0 })
    const e = await session(none, 'device-0001')
    assert.deepEqual(await e.request(6), { id: 2, status: 604 })
    assert.deepEqual(await blacklistEntries(db.pool, none.id), [])
    e.close()
  })

  test('a failure inside the transaction answers 6 and changes nothing', async () => {
    const app = await createApp(db.pool)
    const key = await createLicense(db.pool, app.id)
    const c = await session(app, 'device-0001', key)
    // The license update fails after the blacklist entry was written: all of it must go.
    await db.pool.query(`CREATE FUNCTION test_refuse_blacklist () RETURNS trigger LANGUAGE plpgsql AS $$
      BEGIN RAISE EXCEPTION 'refused by the test'; END $$`)
    await db.pool.query(`CREATE TRIGGER test_refuse_blacklist BEFORE UPDATE OF blacklisted_at ON licenses
      FOR EACH ROW WHEN (NEW.key = '${key}') EXECUTE FUNCTION test_refuse_blacklist()`)
    try {
      assert.deepEqual(await c.request(6, { comment: 'try' }), { id: 3, status: 6 })
    } finally {
      await db.pool.query('DROP TRIGGER test_refuse_blacklist ON licenses')
      await db.pool.query('DROP FUNCTION test_refuse_blacklist()')
    }
    assert.deepEqual(await blacklistEntries(db.pool, app.id), [])
    assert.equal((await licenseRow(db.pool, app.id, key))?.blacklisted_at, null)
    assert.equal(await authorizedSessions(db.pool, app.id), 1)
    assert.equal((await c.request(15)).status, 1, 'the session is as it was')
    c.close()
  })

  test('other sessions see what an admin blacklisting causes; the issuing one closes 4203, not 4204', async () => {
    const app = await createApp(db.pool)
    const key = await createLicense(db.pool, app.id)
    const issuer = await session(app, 'device-x', key)
    const twin = await session(app, 'device-x', key)
    const idleTwin = await session(app, 'device-x')
    // The license rebound to another device (as after a reset-client), held there too.
    await db.pool.query('UPDATE licenses SET client_id = NULL WHERE app_id = $1 AND key = $2', [app.id, key])
    const holder = await session(app, 'device-y', key)
    const bystanderKey = await createLicense(db.pool, app.id)
    const bystander = await session(app, 'device-z', bystanderKey)
    for (const c of [issuer, twin, holder, bystander]) assert.equal((await c.request(17, { subscribed: true })).status, 1)
    assert.equal(await authorizedSessions(db.pool, app.id), 4)

    assert.deepEqual(await issuer.request(6, { comment: 'leaked key' }), { id: 4, status: 1 })
    assert.deepEqual(await issuer.closed, BLACKLISTED)
    assert.equal(issuer.raw.length, 4, 'no event frame for the issuing session')

    // Same client_id: event 201 for the license it held, then 4204.
    assert.deepEqual(await twin.closed, EXTERNAL)
    assert.equal(twin.raw.at(-1), EVENT_201)
    assert.deepEqual(await idleTwin.closed, EXTERNAL)
    assert.equal(idleTwin.raw.length, 1, 'no event: it held no license and did not subscribe')

    // Another client_id holding the license: event 201, authorization dropped, socket open.
    assert.equal((await holder.next()).event_type, 201)
    assert.equal(holder.raw.at(-1), EVENT_201)
    assert.deepEqual(await holder.request(15), { id: 4, status: 3 })
    assert.equal((await holder.request(10)).status, 1, 'still open')

    assert.equal((await bystander.request(15)).status, 1)
    assert.equal(bystander.messages.length, 0, 'nothing for an unrelated session')
    await waitFor(async () => await authorizedSessions(db.pool, app.id) === 1)
    holder.close()
    bystander.close()
  })

  test('an account-authorized session: its account is blacklisted too, and its other sessions get event 300 and lose it', async () => {
    const app = await createApp(db.pool)
    const key = await createLicense(db.pool, app.id)
    const account = await createAccount(db.pool, app.id, { licenses: [key] })
    const byCredentials = async (clientId: string): Promise<TestClient> => {
      const c = await session(app, clientId)
      assert.equal((await c.request(3, { login: account.login, password: PASSWORD, credentials_type: 0 })).status, 1)
      return c
    }
    const issuer = await byCredentials('device-a1')
    const other = await byCredentials('device-a2')
    assert.equal((await other.request(17, { subscribed: true })).status, 1)
    assert.equal(await authorizedSessions(db.pool, app.id), 2)

    assert.deepEqual(await issuer.request(6, { comment: 'shared password' }), { id: 3, status: 1 })
    assert.deepEqual(await issuer.closed, BLACKLISTED)
    const row = await accountRow(db.pool, app.id, account.login)
    assert.notEqual(row?.blacklisted_at, null)
    assert.equal(row?.blacklist_comment, 'shared password')

    assert.equal((await other.next()).event_type, 300)
    assert.equal(other.raw.at(-1), '{"id":18446744073709551615,"event_type":300,"content":{}}')
    assert.deepEqual(await other.request(16), { id: 4, status: 3 })
    await waitFor(async () => await authorizedSessions(db.pool, app.id) === 0)
    other.close()
  })

  test('before Initialize: close 4200', async () => {
    const c = await TestClient.connect(server.wsUrl)
    c.send(6, { comment: 'x' })
    assert.deepEqual(await c.closed, { code: 4200, reason: 'connection is not initialized' })
  })
})
