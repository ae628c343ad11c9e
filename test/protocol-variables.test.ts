import { before, describe, test } from 'node:test'
import assert from 'node:assert/strict'
import { testDatabase, type TestDatabase } from './helpers/database.js'
import { startServer, type TestServer } from './helpers/server.js'
import { TestClient } from './helpers/client.js'
import { TOKEN, call } from './helpers/admin.js'
import { createApp, createLicense, type TestApp } from './helpers/fixtures.js'

// Type 11. On a real Postgres the admin API is one instance and the sockets live on
// another, so an admin change has to reach a second instance's next read.
let db: TestDatabase
let admin: TestServer
let live: TestServer

before(async t => {
  db = await testDatabase(t)
  admin = await startServer(t, db, { adminTokens: [TOKEN] })
  live = db.real ? await startServer(t, db) : admin
})

async function variable (app: TestApp, name: string, content: string, isProtected = false): Promise<void> {
  const res = await call(admin, 'POST', `/apps/${app.id}/variables`, { name, content, protected: isProtected })
  assert.equal(res.status, 201, JSON.stringify(res.body))
}

async function session (app: TestApp): Promise<TestClient> {
  const c = await TestClient.connect(live.wsUrl)
  assert.equal((await c.initialize(app.key)).status, 1)
  return c
}

describe('type 11 — get variable', () => {
  test('checks in order: 401 for the name length, 400 when missing, 3 when protected, else 1 with content', async () => {
    const app = await createApp(db.pool)
    await variable(app, 'motd', 'Hello')
    await variable(app, 'secret', 's3cr3t', true)
    await variable(app, 'x'.repeat(64), 'longest', true)
    // A name the admin API refuses, put there by SQL: the length is judged before the lookup.
    await db.pool.query("INSERT INTO variables (app_id, name, content) VALUES ($1, 'ab', 'x')", [app.id])
    const c = await session(app)

    assert.deepEqual(await c.request(11, { name: 'ab' }), { id: 2, status: 401 })
    assert.deepEqual(await c.request(11, { name: 'y'.repeat(65) }), { id: 3, status: 401 })
    assert.deepEqual(await c.request(11, { name: '' }), { id: 4, status: 401 })
    assert.deepEqual(await c.request(11, { name: '😀' }), { id: 5, status: 401 }, 'an emoji is 2 code units')
    assert.deepEqual(await c.request(11, { name: '😀a' }), { id: 6, status: 400 })
    assert.deepEqual(await c.request(11, { name: 'abc' }), { id: 7, status: 400 })
    assert.deepEqual(await c.request(11, { name: 'MOTD' }), { id: 8, status: 400 }, 'names match exactly')
    assert.deepEqual(await c.request(11, { name: 'secret' }), { id: 9, status: 3 })
    assert.deepEqual(await c.request(11, { name: 'x'.repeat(64) }), { id: 10, status: 3 })
    assert.deepEqual(await c.request(11, { name: 'motd' }), { id: 11, content: 'Hello', status: 1 })
    assert.equal(c.raw.at(-1), '{"id":11,"content":"Hello","status":1}')

    const key = await createLicense(db.pool, app.id)
    assert.equal((await c.authorize(key)).status, 1)
    assert.deepEqual(await c.request(11, { name: 'secret' }), { id: 13, content: 's3cr3t', status: 1 })
    assert.deepEqual(await c.request(11, { name: 'x'.repeat(64) }), { id: 14, content: 'longest', status: 1 })
    assert.equal((await c.request(5)).status, 1)
    assert.deepEqual(await c.request(11, { name: 'secret' }), { id: 16, status: 3 }, 'logged out again')
    c.close()
  })

  test('a variable of another app is not found', async () => {
    const mine = await createApp(db.pool)
    const theirs = await createApp(db.pool)
    await variable(theirs, 'motd', 'not yours')
    const c = await session(mine)
    assert.deepEqual(await c.request(11, { name: 'motd' }), { id: 2, status: 400 })
    c.close()
  })

  test('content comes back exactly as stored', async () => {
    const app = await createApp(db.pool)
    const contents: Record<string, string> = {
      json: '{"a": [1, 2.50, "x\\u00e9"], "b": null}',
      quotes: 'say "hi" and \'bye\' \\ back\\slash',
      unicode: 'naïve café — 日本語 😀',
      lines: 'one\r\ntwo\tthree\n',
      empty: '',
      longest: '€'.repeat(16000)
    }
    for (const [name, content] of Object.entries(contents)) await variable(app, name, content)
    const c = await session(app)
    for (const [name, content] of Object.entries(contents)) {
      const answer = await c.request(11, { name })
      assert.equal(answer.content, content, name)
      assert.equal(c.raw.at(-1), `{"id":${answer.id as number},"content":${JSON.stringify(content)},"status":1}`)
    }
    c.close()
  })

  test('an admin change is seen by the next read, on another instance too', async () => {
    const app = await createApp(db.pool)
    await variable(app, 'flag', 'off')
    const c = await session(app)
    const read = async (): Promise<Record<string, unknown>> => {
      const { id: _id, ...rest } = await c.request(11, { name: 'flag' })
      return rest
    }
    assert.deepEqual(await read(), { content: 'off', status: 1 })
    const path = `/apps/${app.id}/variables/flag`
    assert.equal((await call(admin, 'PATCH', path, { content: '{"enabled":true}' })).status, 200)
    assert.deepEqual(await read(), { content: '{"enabled":true}', status: 1 })
    assert.equal((await call(admin, 'PATCH', path, { protected: true })).status, 200)
    assert.deepEqual(await read(), { status: 3 })
    assert.equal((await call(admin, 'PATCH', path, { protected: false })).status, 200)
    assert.deepEqual(await read(), { content: '{"enabled":true}', status: 1 })
    assert.equal((await call(admin, 'DELETE', path)).status, 204)
    assert.deepEqual(await read(), { status: 400 })
    await variable(app, 'flag', 'back')
    assert.deepEqual(await read(), { content: 'back', status: 1 })
    c.close()
  })

  test('before Initialize: close 4200; a name that is not a string: close 4302', async () => {
    const early = await TestClient.connect(live.wsUrl)
    early.send(11, { name: 'motd' })
    assert.deepEqual(await early.closed, { code: 4200, reason: 'connection is not initialized' })
    const app = await createApp(db.pool)
    for (const fields of [{}, { name: 5 }, { name: null }, { name: 'mo\u0000td' }]) {
      const c = await session(app)
      c.send(11, fields)
      assert.deepEqual(await c.closed, { code: 4302, reason: 'invalid request body' }, JSON.stringify(fields))
    }
  })
})
