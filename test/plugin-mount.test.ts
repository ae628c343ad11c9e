import { before, describe, test } from 'node:test'
import assert from 'node:assert/strict'
import { randomUUID } from 'node:crypto'
import Fastify from 'fastify'
import websocket from '@fastify/websocket'
import pg from 'pg'
import licensewire from '../src/index.js'
import { testDatabase, type TestDatabase } from './helpers/database.js'
import { TestClient } from './helpers/client.js'
import { createApp, createLicense } from './helpers/fixtures.js'
import { TOKEN } from './helpers/admin.js'
import { onEnd } from './helpers/cleanup.js'
import { newApiKey } from '../src/keys.js'

let db: TestDatabase

before(async t => { db = await testDatabase(t) })

describe('mounting in an existing Fastify app', () => {
  test('a host with its own routes, its own @fastify/websocket and its own pool', async () => {
    const host = Fastify()
    await host.register(websocket)
    host.get('/api/hello', async () => ({ hello: 'world' }))
    host.get('/api/echo', { websocket: true }, socket => {
      socket.on('message', data => socket.send(`echo:${data.toString()}`))
    })
    await host.register(licensewire, { pool: db.pool, prefix: '/license', events: 'local' })
    await host.listen({ port: 0, host: '127.0.0.1' })
    const port = (host.server.address() as { port: number }).port
    try {
      assert.deepEqual(await (await fetch(`http://127.0.0.1:${port}/api/hello`)).json(), { hello: 'world' })
      assert.equal((await fetch(`http://127.0.0.1:${port}/license/readyz`)).status, 200)

      const echo = await new Promise<string>((resolve, reject) => {
        void TestClient.connect(`ws://127.0.0.1:${port}/api/echo`).then(c => {
          c.ws.removeAllListeners('message')
          c.ws.once('message', data => { resolve(data.toString()); c.close() })
          c.sendRaw('ping')
        }, reject)
      })
      assert.equal(echo, 'echo:ping')

      const app = await createApp(db.pool)
      const key = await createLicense(db.pool, app.id)
      const c = await TestClient.connect(`ws://127.0.0.1:${port}/license/ws`)
      assert.equal((await c.initialize(app.key)).status, 1)
      assert.equal((await c.authorize(key)).status, 1)
      // The host's ws has no 16 KiB limit; licensewire still enforces its own.
      c.sendRaw(JSON.stringify({ type: 10, id: 9, pad: 'x'.repeat(20000) }))
      assert.equal((await c.closed).code, 1009)
    } finally {
      await host.close()
    }
    // The host's pool is the host's: still open after licensewire closed.
    assert.equal((await db.pool.query('SELECT 1 AS one')).rows[0].one, 1)
  })

  test('decorators are available to the host', async t => {
    const host = Fastify()
    onEnd(t, () => host.close())
    await host.register(licensewire, { pool: db.pool, events: 'local' })
    await host.ready()
    assert.equal(typeof host.licensewireDb.repos.sessions.onlineCount, 'function')
    assert.match(host.licensewireHub.instanceId, /^[0-9a-f-]{36}$/)
  })
})

describe("the host's pg stays the host's", () => {
  test('int8 still parses as a string for the host; licensewire reads numbers all the same', async t => {
    const int8 = pg.types.getTypeParser(pg.types.builtins.INT8)
    const host = Fastify()
    onEnd(t, () => host.close())
    await host.register(licensewire, { pool: db.pool, events: 'local', adminTokens: [TOKEN] })
    await host.ready()
    assert.equal(pg.types.getTypeParser(pg.types.builtins.INT8), int8)
    assert.equal(pg.types.getTypeParser(pg.types.builtins.INT8)('42'), '42')
    assert.deepEqual((await db.pool.query('SELECT 42::int8 AS n')).rows, [{ n: '42' }], "the host's pool parses as it did")

    const { repos } = host.licensewireDb
    const app = await repos.apps.create({ name: 'Typed' }, newApiKey())
    assert.equal(typeof app.id, 'number')
    const [license] = await repos.licenses.insert(app.id, [{ key: 'TYPED-KEY-0001', durationSeconds: 3600 }])
    assert.strictEqual(license!.id, Number(license!.id))
    assert.strictEqual(license!.duration_seconds, 3600)
    const init = await repos.sessions.initialize({ sessionId: randomUUID(), instanceId: host.licensewireHub.instanceId, apiKey: app.websocket_api_key, clientId: 'device-0001', ip: '127.0.0.1', resumeHash: null })
    assert.strictEqual(init.app_id, app.id)
    assert.strictEqual(await repos.sessions.onlineCount(app.id), 1)

    const res = await host.inject({ method: 'GET', url: `/admin/v1/apps/${app.id}/licenses/TYPED-KEY-0001`, headers: { authorization: `Bearer ${TOKEN}` } })
    assert.equal(res.statusCode, 200)
    assert.strictEqual(res.json().duration_seconds, 3600)
    assert.strictEqual((await host.inject({ method: 'GET', url: `/admin/v1/apps/${app.id}`, headers: { authorization: `Bearer ${TOKEN}` } })).json().id, app.id)
  })
})

describe('options are validated once, at registration', () => {
  const cases: [string, Record<string, unknown>, RegExp][] = [
    ['no database', {}, /pass exactly one of the options "pool" and "connectionString"/],
    ['both databases', { connectionString: 'postgres://x', pool: {} }, /invalid option "pool": expected a pg.Pool|pass exactly one/],
    ['a negative timeout', { connectionString: 'postgres://x', initTimeoutMs: -5 }, /invalid option "initTimeoutMs"/],
    ['a ws path without slash', { connectionString: 'postgres://x', wsPath: 'ws' }, /invalid option "wsPath"/],
    ['a short admin token', { connectionString: 'postgres://x', adminTokens: ['short'] }, /invalid option "adminTokens.0"/],
    ['an unknown option', { connectionString: 'postgres://x', rateLimit: 5 }, /unknown option "rateLimit"/],
    ['a bad timeLeft', { connectionString: 'postgres://x', timeLeft: 'minutes' }, /invalid option "timeLeft"/]
  ]
  for (const [name, options, message] of cases) {
    test(`registration fails with a clear message: ${name}`, async () => {
      const host = Fastify()
      await assert.rejects(async () => {
        await host.register(licensewire, options)
        await host.ready()
      }, message)
      await host.close().catch(() => {})
    })
  }
})
