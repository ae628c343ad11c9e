import { before, test } from 'node:test'
import assert from 'node:assert/strict'
import { execFile } from 'node:child_process'
import { mkdtemp } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { promisify } from 'node:util'
import pg from 'pg'
import { migrate } from '../../src/db/migrate.js'
import { onEnd } from '../helpers/cleanup.js'
import { spawnService, type ServiceProcess } from '../helpers/process.js'
import { TestClient, waitFor } from '../helpers/client.js'
import { authorizedSessions, createApp, createLicenses } from '../helpers/fixtures.js'

// Quota slots under database faults and floods of closes, on a Postgres of this test's
// own that it restarts and stops (scripts/pg-test-cluster.sh): each case ends with the
// app's counter equal to the sessions still connected, within SESSION_LEASE_MS of the
// database being back.
const SESSION_LEASE_MS = 10000
const run = promisify(execFile)
let clusterDir: string
let pool: pg.Pool
let service: ServiceProcess

async function cluster (command: 'start' | 'stop' | 'restart' | 'halt' | 'resume'): Promise<string> {
  const { stdout } = await run('bash', ['scripts/pg-test-cluster.sh', command], {
    env: { ...process.env, PG_TEST_DIR: clusterDir }, timeout: 120000
  })
  return stdout
}

before(async t => {
  // The real-Postgres run has the server binaries (.ci/run installs them).
  clusterDir = await mkdtemp(join(tmpdir(), 'lw-faults-'))
  const started = await cluster('start')
  onEnd(t, async () => { await cluster('stop') })
  const url = /DATABASE_URL=(\S+)/.exec(started)?.[1]
  assert.ok(url !== undefined, `no DATABASE_URL from the cluster script: ${started}`)
  pool = new pg.Pool({ connectionString: url, max: 4 })
  // The restarts end this pool's idle connections too.
  pool.on('error', () => {})
  onEnd(t, () => pool.end())
  await migrate(pool)
  service = await spawnService({
    DATABASE_URL: url,
    SESSION_LEASE_MS: String(SESSION_LEASE_MS),
    // Dropped sockets end at once rather than being suspended for resumption.
    RESUME_WINDOW_MS: '0',
    MAX_CONNECTIONS: '15000',
    CONNECT_RATE_LIMIT_MAX: '100000'
  })
  onEnd(t, async () => { service.child.kill('SIGKILL'); await service.exited })
})

/** `n` authorized sessions of `appId`, opened a few hundred at a time. */
async function authorizedClients (apiKey: string, keys: string[]): Promise<TestClient[]> {
  const clients: TestClient[] = []
  for (let start = 0; start < keys.length; start += 500) {
    clients.push(...await Promise.all(keys.slice(start, start + 500).map(async (key, j) => {
      const c = await TestClient.connect(service.wsUrl)
      const i = start + j
      assert.equal((await c.request(0, { websocket_api_key: apiKey, client_id: `device-${i}` }, 20000)).status, 1)
      assert.equal((await c.request(2, { license: key }, 20000)).status, 1, `authorize of client ${i}`)
      return c
    })))
  }
  return clients
}

/** Counter and rows agree (authorizedSessions checks) and equal `live`, within the lease. */
async function settlesAt (appId: number, live: number, sinceMs: number): Promise<void> {
  let counted = -1
  await waitFor(async () => {
    try {
      counted = await authorizedSessions(pool, appId)
    } catch {
      return false
    }
    return counted === live
  }, SESSION_LEASE_MS, 100).catch(() => {
    throw new Error(`the app counts ${counted} sessions, ${live} are connected (${Date.now() - sinceMs} ms after recovery)`)
  })
}

test('10,000 sessions dropped at once: every slot is released, in batches', async () => {
  const app = await createApp(pool, { sessionLimit: 20000 })
  const keys = await createLicenses(pool, app.id, 10050)
  const clients = await authorizedClients(app.key, keys)
  assert.equal(await authorizedSessions(pool, app.id), 10050)
  const staying = clients.slice(0, 50)
  for (const c of clients.slice(50)) c.drop()
  const dropped = Date.now()
  await settlesAt(app.id, 50, dropped)
  // Those left connected still count and still answer.
  assert.equal((await staying[0]!.request(10)).online_users_count, 50)
  for (const c of staying) c.close()
  await settlesAt(app.id, 0, Date.now())
})

test('Postgres restarted while clients come and go: the counter equals the sessions connected', async () => {
  const app = await createApp(pool, { sessionLimit: 1000 })
  const keys = await createLicenses(pool, app.id, 240)
  const live = await authorizedClients(app.key, keys.slice(0, 200))
  // 40 clients cycle: connect, initialize, authorize, close, again, through the restart.
  let cycling = true
  const cycles = keys.slice(200).map(async (key, i) => {
    while (cycling) {
      try {
        const c = await TestClient.connect(service.wsUrl)
        await c.request(0, { websocket_api_key: app.key, client_id: `cycle-${i}` }, 10000).catch(() => {})
        await c.request(2, { license: key }, 10000).catch(() => {})
        await c.closeAndWait()
      } catch {
        await new Promise(resolve => setTimeout(resolve, 50))
      }
    }
  })
  await new Promise(resolve => setTimeout(resolve, 500))
  await cluster('restart')
  await new Promise(resolve => setTimeout(resolve, 1000))
  cycling = false
  await Promise.all(cycles)
  const recovered = Date.now()
  await settlesAt(app.id, 200, recovered)
  for (const c of live) c.close()
  await settlesAt(app.id, 0, Date.now())
})

test('Postgres stopped for 20 s while 30 clients close: their slots are freed once it is back', async () => {
  const app = await createApp(pool, { sessionLimit: 200 })
  const keys = await createLicenses(pool, app.id, 200)
  const clients = await authorizedClients(app.key, keys)
  await cluster('halt')
  const leaving = clients.slice(0, 30)
  await Promise.all(leaving.map(c => c.closeAndWait()))
  await new Promise(resolve => setTimeout(resolve, 20000))
  await cluster('resume')
  const recovered = Date.now()
  await settlesAt(app.id, 170, recovered)
  const more = await createLicenses(pool, app.id, 31)
  const newcomers = await Promise.all(more.map(async (key, i) => {
    const c = await TestClient.connect(service.wsUrl)
    await c.initialize(app.key, `newcomer-${i}`)
    return { c, status: (await c.authorize(key)).status }
  }))
  // The freed slots are usable, and the limit holds. (One CI run gave all 31 an Ok,
  // not reproduced since: issue 19's note.)
  assert.ok(newcomers.filter(n => n.status === 1).length >= 30, JSON.stringify(newcomers.map(n => n.status)))
  assert.ok(await authorizedSessions(pool, app.id) <= 200, 'the session limit holds')
  for (const c of [...clients.slice(30), ...newcomers.map(n => n.c)]) c.close()
  await settlesAt(app.id, 0, Date.now())
})
