import { before, describe, test } from 'node:test'
import assert from 'node:assert/strict'
import pg from 'pg'
import { testDatabase, type TestDatabase } from '../helpers/database.js'
import { startServer, type TestServer } from '../helpers/server.js'
import { onEnd } from '../helpers/cleanup.js'
import { TestClient, waitFor } from '../helpers/client.js'
import { createApp, createLicense } from '../helpers/fixtures.js'
import { listenerName } from '../../src/db/event-bus.js'

// Packet 15 served from the per-instance license cache: every change to the license
// row, by any writer, must reach it.
let db: TestDatabase
let pool: pg.Pool
let server: TestServer
let reads = 0

before(async t => {
  db = await testDatabase(t)
  pool = new pg.Pool({ connectionString: db.connectionString, max: 10 })
  onEnd(t, () => pool.end())
  // Counts the reads of packet 15 that reach the database.
  const counting = new Proxy(pool, {
    get (target, prop, receiver) {
      if (prop !== 'query') return Reflect.get(target, prop, receiver)
      return (...args: unknown[]) => {
        const text = typeof args[0] === 'string' ? args[0] : (args[0] as { text?: string } | undefined)?.text
        if (text?.includes('FROM licenses WHERE id') === true) reads++
        return (target.query as (...a: unknown[]) => Promise<unknown>).apply(target, args)
      }
    }
  })
  server = await startServer(t, { ...db, real: false, pool: counting }, { events: 'postgres' })
})

async function holder (): Promise<{ c: TestClient, appId: number, apiKey: string, key: string }> {
  const app = await createApp(db.pool)
  const key = await createLicense(db.pool, app.id, { comment: 'v1' })
  const c = await TestClient.connect(server.wsUrl)
  await c.initialize(app.key)
  assert.equal((await c.authorize(key)).status, 1)
  return { c, appId: app.id, apiKey: app.key, key }
}

async function commentSeen (c: TestClient, expected: string): Promise<void> {
  await waitFor(async () => (await c.request(15)).comment === expected, 2000, 5)
}

describe('license cache on Postgres', () => {
  test('repeated reads are served from memory', async () => {
    const { c } = await holder()
    const before = reads
    for (let i = 0; i < 20; i++) assert.equal((await c.request(15)).status, 1)
    assert.equal(reads - before, 1)
    c.close()
  })

  test('a change by plain SQL, by another writer, reaches the answer', async () => {
    const { c, appId, key } = await holder()
    assert.equal((await c.request(15)).comment, 'v1')
    await db.pool.query("UPDATE licenses SET comment = 'v2' WHERE app_id = $1 AND key = $2", [appId, key])
    await commentSeen(c, 'v2')
    await db.pool.query("UPDATE licenses SET blacklisted_at = now() WHERE app_id = $1 AND key = $2", [appId, key])
    await waitFor(async () => (await c.request(15)).status === 105, 2000, 5)
    c.close()
  })

  test('only a change to a license some session holds is announced', async () => {
    const listener = new pg.Client({ connectionString: db.connectionString })
    await listener.connect()
    const heard: number[] = []
    listener.on('notification', message => heard.push(Number(message.payload)))
    await listener.query('LISTEN licensewire_licenses')
    try {
      // Its own activation is not announced: this instance evicts by itself.
      const { c, appId, key } = await holder()
      const unheld = await createLicense(db.pool, appId, { comment: 'v1' })
      const ids = await db.pool.query<{ id: string, key: string }>('SELECT id, key FROM licenses WHERE app_id = $1', [appId])
      const id = (k: string): number => Number(ids.rows.find(r => r.key === k)!.id)
      await db.pool.query("UPDATE licenses SET comment = 'v2' WHERE id = $1", [id(unheld)])
      await db.pool.query("UPDATE licenses SET comment = 'v2' WHERE id = $1", [id(key)])
      await waitFor(() => heard.includes(id(key)), 2000, 5)
      assert.deepEqual(heard, [id(key)])
      c.close()
    } finally {
      await listener.end()
    }
  })

  test('an Authorize from another address shows in the answer of a session holding the license', async () => {
    const { c, apiKey, key } = await holder()
    assert.equal((await c.request(15)).ip_address, '127.0.0.1')
    const other = await TestClient.connect(server.wsUrl, {}, '127.0.0.2')
    await other.initialize(apiKey)
    assert.equal((await other.authorize(key)).status, 1)
    await waitFor(async () => (await c.request(15)).ip_address === '127.0.0.2', 2000, 5)
    c.close()
    other.close()
  })

  test('the instance that authorizes drops its own cached copy, announced or not', async () => {
    const { c, appId, apiKey, key } = await holder()
    assert.equal((await c.request(15)).ip_address, '127.0.0.1')
    // The database no longer counts c as a holder, so the next change is not
    // announced; only this instance's own eviction can keep c's answer true.
    await db.pool.query('UPDATE sessions SET license_id = NULL WHERE license_id = (SELECT id FROM licenses WHERE app_id = $1 AND key = $2)', [appId, key])
    const other = await TestClient.connect(server.wsUrl, {}, '127.0.0.2')
    await other.initialize(apiKey)
    assert.equal((await other.authorize(key)).status, 1)
    assert.equal((await c.request(15)).ip_address, '127.0.0.2')
    c.close()
    other.close()
  })

  test('while the listener is down nothing is cached; changes meanwhile are read', async () => {
    const { c, appId, key } = await holder()
    assert.equal((await c.request(15)).comment, 'v1')
    await pool.query('SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE application_name = $1',
      [listenerName(server.app.licensewireHub.instanceId)])
    // Give the client a moment to notice the connection is gone.
    await new Promise(resolve => setTimeout(resolve, 50))
    const before = reads
    assert.equal((await c.request(15)).comment, 'v1')
    assert.equal((await c.request(15)).comment, 'v1')
    assert.ok(reads - before >= 1)
    await db.pool.query("UPDATE licenses SET comment = 'v3' WHERE app_id = $1 AND key = $2", [appId, key])
    await commentSeen(c, 'v3')
    c.close()
  })
})
