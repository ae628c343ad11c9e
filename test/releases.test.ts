import { before, test } from 'node:test'
import assert from 'node:assert/strict'
import { randomUUID } from 'node:crypto'
import type pg from 'pg'
import { failingPool, testDatabase, type TestDatabase } from './helpers/database.js'
import { startServer, type TestServer } from './helpers/server.js'
import { TestClient, initializedClients, waitFor } from './helpers/client.js'
import { authorizedSessions, createApp, createLicenses, sessionRows } from './helpers/fixtures.js'

// Quota slots of closed sockets are never lost: releases are batched, retried until
// the database takes them, and rows no socket holds are swept by their own instance.
let db: TestDatabase
let server: TestServer
let failing: string | null = null
let endStatements = 0

/** Counts lw_end_sessions statements on the way to the failing pool. */
function counting (pool: pg.Pool): pg.Pool {
  return new Proxy(pool, {
    get (target, prop, receiver) {
      if (prop !== 'query') return Reflect.get(target, prop, receiver)
      return (...args: unknown[]) => {
        const text = typeof args[0] === 'string' ? args[0] : (args[0] as { text?: string } | undefined)?.text
        if (text?.includes('lw_end_sessions(') === true) endStatements++
        return (target.query as (...a: unknown[]) => unknown).apply(target, args)
      }
    }
  })
}

before(async t => {
  db = await testDatabase(t)
  server = await startServer(t, { ...db, real: false, pool: counting(failingPool(db.pool, () => failing)) },
    // Dropped sockets end at once rather than being suspended for resumption.
    { migrate: false, events: 'local', sessionLeaseMs: 3000, connectRateLimitMax: 10000, resumeWindowMs: 0 })
})

async function authorizedClients (n: number): Promise<{ appId: number, clients: TestClient[] }> {
  const app = await createApp(db.pool, { sessionLimit: 1000 })
  const keys = await createLicenses(db.pool, app.id, n)
  const clients = await initializedClients([server.wsUrl], app.key, n)
  const answers = await Promise.all(clients.map((c, i) => c.authorize(keys[i]!)))
  assert.deepEqual(answers.filter(a => a.status !== 1), [])
  assert.equal(await authorizedSessions(db.pool, app.id), n)
  return { appId: app.id, clients }
}

test('closes whose release fails are released once the database answers again', async () => {
  const { appId, clients } = await authorizedClients(20)
  failing = 'lw_end_sessions'
  try {
    for (const c of clients) c.ws.terminate()
    await Promise.all(clients.map(c => c.closed))
    await new Promise(resolve => setTimeout(resolve, 400))
    assert.equal(await authorizedSessions(db.pool, appId), 20, 'nothing is released while the database refuses')
  } finally {
    failing = null
  }
  await waitFor(async () => await authorizedSessions(db.pool, appId) === 0 && await sessionRows(db.pool, appId) === 0, 20000)
})

test('a burst of closes is released in a few statements, not one per socket', async () => {
  const { appId, clients } = await authorizedClients(200)
  const before = endStatements
  for (const c of clients) c.ws.terminate()
  await Promise.all(clients.map(c => c.closed))
  await waitFor(async () => await authorizedSessions(db.pool, appId) === 0 && await sessionRows(db.pool, appId) === 0, 20000)
  const statements = endStatements - before
  assert.ok(statements >= 1 && statements <= 20, `${statements} statements for 200 closes`)
})

test('a row no socket of its instance holds is ended by that instance, slot and all', async () => {
  const app = await createApp(db.pool, { sessionLimit: 10 })
  const stray = randomUUID()
  await db.pool.query(
    `WITH s AS (INSERT INTO sessions (id, instance_id, app_id, client_id, initialized_at, authorized_at)
                VALUES ($1, $2, $3, 'device-lost', now() - interval '1 minute', now() - interval '1 minute'))
     UPDATE apps SET authorized_sessions = authorized_sessions + 1 WHERE id = $3`,
    [stray, server.app.licensewireHub.instanceId, app.id])
  // A live socket of the same instance keeps its row.
  const [live] = await initializedClients([server.wsUrl], app.key, 1)
  // Nothing but its own instance ends a row of a live instance, and the instance
  // renews every second here.
  await waitFor(async () => await authorizedSessions(db.pool, app.id) === 0, 15000)
  assert.equal(await sessionRows(db.pool, app.id), 1, 'the live socket\'s row stays')
  live!.close()
})
