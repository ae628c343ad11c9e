import { before, describe, test } from 'node:test'
import assert from 'node:assert/strict'
import { failingPool, testDatabase, type TestDatabase } from './helpers/database.js'
import { startServer, type TestServer } from './helpers/server.js'
import { TestClient } from './helpers/client.js'
import { authorizedSessions, blacklistEntries, createApp, createLicense, licenseRow, type TestApp } from './helpers/fixtures.js'

// Status 6 for every packet when its database call fails, and nothing left half-done.
let db: TestDatabase
let server: TestServer
let app: TestApp
let failing: string | null = null

before(async t => {
  db = await testDatabase(t)
  server = await startServer(t, { ...db, real: false, pool: failingPool(db.pool, () => failing) }, { migrate: false, events: 'local' })
  app = await createApp(db.pool)
})

/**
 * A session authorized in an app of its own: the sessions of earlier tests, closed
 * without waiting, may still be releasing their slots in the shared one.
 */
async function authorized (): Promise<{ c: TestClient, key: string, own: TestApp }> {
  const own = await createApp(db.pool)
  const key = await createLicense(db.pool, own.id)
  const c = await TestClient.connect(server.wsUrl)
  assert.equal((await c.initialize(own.key)).status, 1)
  assert.equal((await c.authorize(key)).status, 1)
  return { c, key, own }
}

describe('database failures answer 6 InternalServerError', () => {
  test('Initialize: 6, and the session stays uninitialized', async () => {
    const c = await TestClient.connect(server.wsUrl)
    failing = 'lw_initialize'
    try {
      assert.deepEqual(await c.initialize(app.key), { id: 1, status: 6 })
    } finally {
      failing = null
    }
    c.send(10)
    assert.deepEqual(await c.closed, { code: 4200, reason: 'connection is not initialized' })
  })

  test('Authorize: 6, unauthorized afterwards, no slot held', async () => {
    const own = await createApp(db.pool)
    const key = await createLicense(db.pool, own.id)
    const c = await TestClient.connect(server.wsUrl)
    await c.initialize(own.key)
    failing = 'lw_authorize_license'
    try {
      assert.deepEqual(await c.authorize(key), { id: 2, status: 6 })
    } finally {
      failing = null
    }
    assert.equal(await authorizedSessions(db.pool, own.id), 0)
    assert.equal((await c.authorize(key)).status, 1)
    c.close()
  })

  test('Get current license: 6, the authorization kept', async () => {
    const { c } = await authorized()
    failing = 'FROM licenses WHERE id'
    try {
      assert.deepEqual(await c.request(15), { id: 3, status: 6 })
    } finally {
      failing = null
    }
    assert.equal((await c.request(15)).status, 1)
    c.close()
  })

  test('Logout: 6, still authorized and still holding the slot', async () => {
    const { c, own } = await authorized()
    failing = 'lw_release_authorization'
    try {
      assert.deepEqual(await c.request(5), { id: 3, status: 6 })
    } finally {
      failing = null
    }
    assert.equal(await authorizedSessions(db.pool, own.id), 1)
    assert.equal((await c.request(15)).status, 1)
    assert.deepEqual(await c.request(5), { id: 5, status: 1 })
    c.close()
  })

  test('Get variable: 6 without content', async () => {
    const c = await TestClient.connect(server.wsUrl)
    await c.initialize(app.key)
    await db.pool.query("INSERT INTO variables (app_id, name, content) VALUES ($1, 'motd', 'hi')", [app.id])
    failing = 'FROM variables'
    try {
      assert.deepEqual(await c.request(11, { name: 'motd' }), { id: 2, status: 6 })
    } finally {
      failing = null
    }
    assert.deepEqual(await c.request(11, { name: 'motd' }), { id: 3, content: 'hi', status: 1 })
    c.close()
  })

  test('Blacklist: 6, the socket stays open, nothing blacklisted, the slot kept', async () => {
    const { c, key, own } = await authorized()
    failing = 'lw_blacklist_session'
    try {
      assert.deepEqual(await c.request(6, { comment: 'bye' }), { id: 3, status: 6 })
    } finally {
      failing = null
    }
    assert.deepEqual(await blacklistEntries(db.pool, own.id), [])
    assert.equal((await licenseRow(db.pool, own.id, key))?.blacklisted_at, null)
    assert.equal(await authorizedSessions(db.pool, own.id), 1)
    assert.equal((await c.request(15)).status, 1)
    c.close()
  })

  test('Online users count: 6 without a count', async () => {
    const c = await TestClient.connect(server.wsUrl)
    await c.initialize(app.key)
    failing = 'count(*)::integer AS n FROM sessions'
    try {
      assert.deepEqual(await c.request(10), { id: 2, status: 6 })
    } finally {
      failing = null
    }
    c.close()
  })
})

describe('Get current license reads the state as it is now', () => {
  test('105 once blacklisted and 104 once paused (changed behind the API), payload included', async () => {
    const { c, key, own } = await authorized()
    await db.pool.query('UPDATE licenses SET paused_at = now() WHERE app_id = $1 AND key = $2', [own.id, key])
    const paused = await c.request(15)
    assert.equal(paused.status, 104)
    assert.ok(typeof paused.time_left === 'number' && paused.time_left > 80000)
    await db.pool.query('UPDATE licenses SET blacklisted_at = now() WHERE app_id = $1 AND key = $2', [own.id, key])
    assert.deepEqual(Object.keys(await c.request(15)), ['id', 'license', 'levels', 'comment', 'ip_address', 'time_left', 'status'])
    assert.equal((await c.request(15)).status, 105)
    c.close()
  })
})
