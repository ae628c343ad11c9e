import { after, before, test } from 'node:test'
import assert from 'node:assert/strict'
import { testDatabase, type TestDatabase } from './helpers/database.js'
import { startServer, type TestServer } from './helpers/server.js'
import { createApp } from './helpers/fixtures.js'
import { ISO, TOKEN, call } from './helpers/admin.js'

let db: TestDatabase
let server: TestServer

before(async t => {
  db = await testDatabase(t)
  server = await startServer(t, db, { adminTokens: [TOKEN] })
})

after(async () => {
  await server?.close()
  await db?.stop()
})

const path = (appId: number, name?: string): string =>
  `/apps/${appId}/variables${name === undefined ? '' : `/${encodeURIComponent(name)}`}`

test('POST creates a variable, unprotected unless told; a name is unique per app (409)', async () => {
  const app = await createApp(db.pool)
  const res = await call(server, 'POST', path(app.id), { name: 'motd', content: 'Hello' })
  assert.equal(res.status, 201)
  assert.deepEqual(Object.keys(res.body), ['name', 'content', 'protected', 'created_at', 'updated_at'])
  assert.equal(res.body.name, 'motd')
  assert.equal(res.body.content, 'Hello')
  assert.equal(res.body.protected, false)
  assert.match(res.body.created_at, ISO)
  assert.equal(res.body.updated_at, res.body.created_at)

  const secret = await call(server, 'POST', path(app.id), { name: 'a/b c', content: '{"x":1}', protected: true })
  assert.equal(secret.status, 201)
  assert.equal(secret.body.protected, true)
  assert.equal((await call(server, 'GET', path(app.id, 'a/b c'))).body.content, '{"x":1}', 'a name with a slash, URL-encoded')

  const dup = await call(server, 'POST', path(app.id), { name: 'motd', content: 'Other' })
  assert.equal(dup.status, 409)
  assert.deepEqual(dup.body, { statusCode: 409, error: 'Conflict', message: 'body/name exists already in this app' })
  assert.equal((await call(server, 'GET', path(app.id, 'motd'))).body.content, 'Hello', 'the first one stays')

  const other = await createApp(db.pool)
  assert.equal((await call(server, 'POST', path(other.id), { name: 'motd', content: 'Other' })).status, 201, 'another app may use the name')

  const missing = await call(server, 'POST', path(999999), { name: 'motd', content: 'x' })
  assert.equal(missing.status, 404)
  assert.equal(missing.body.message, 'app 999999 not found')
})

test('POST validates name 3–64 and content up to 16,000, in UTF-16 code units as packet 11 counts', async () => {
  const app = await createApp(db.pool)
  const cases: [unknown, RegExp][] = [
    [{ content: 'x' }, /^body must have required property 'name'$/],
    [{ name: 'abc' }, /^body must have required property 'content'$/],
    [{ name: 'ab', content: 'x' }, /^body\/name must NOT have fewer than 3 characters$/],
    [{ name: 'x'.repeat(65), content: 'x' }, /^body\/name must NOT have more than 64 characters$/],
    [{ name: 5, content: 'x' }, /^body\/name must be string$/],
    [{ name: 'abc', content: null }, /^body\/content must be string$/],
    [{ name: 'abc', content: 'x'.repeat(16001) }, /^body\/content must NOT have more than 16000 characters$/],
    [{ name: 'abc', content: 'x', protected: 'yes' }, /^body\/protected must be boolean$/],
    [{ name: 'abc', content: 'a\u0000b' }, /^body\/content must match pattern/],
    [{ name: 'a\u0000c', content: 'x' }, /^body\/name must match pattern/],
    // 33 emoji are 66 UTF-16 code units, which the schema counts as packet 11 does.
    [{ name: '😀'.repeat(33), content: 'x' }, /^body\/name must NOT have more than 64 characters$/],
    [{ name: 'abc', content: '😀'.repeat(8001) }, /^body\/content must NOT have more than 16000 characters$/]
  ]
  for (const [body, message] of cases) {
    const res = await call(server, 'POST', path(app.id), body)
    assert.equal(res.status, 400, JSON.stringify(body).slice(0, 80))
    assert.equal(res.body.error, 'Bad Request')
    assert.match(res.body.message, message)
  }
  assert.deepEqual((await call(server, 'GET', path(app.id))).body, { items: [] }, 'nothing was created')

  for (const [name, content] of [['abc', 'x'.repeat(16000)], ['x'.repeat(64), ''], ['😀a😀', '😀'.repeat(8000)], ['née', 'é']]) {
    const res = await call(server, 'POST', path(app.id), { name, content })
    assert.equal(res.status, 201, name)
    assert.equal(res.body.content, content)
  }
})

test('GET lists by name and reads one; 404 for an unknown variable or app', async () => {
  const app = await createApp(db.pool)
  assert.deepEqual((await call(server, 'GET', path(app.id))).body, { items: [] })
  const b = (await call(server, 'POST', path(app.id), { name: 'bbb', content: '2', protected: true })).body
  const a = (await call(server, 'POST', path(app.id), { name: 'aaa', content: '1' })).body
  const list = await call(server, 'GET', path(app.id))
  assert.equal(list.status, 200)
  assert.deepEqual(list.body, { items: [a, b] })
  assert.deepEqual((await call(server, 'GET', path(app.id, 'bbb'))).body, b)

  const missing = await call(server, 'GET', path(app.id, 'zzz'))
  assert.equal(missing.status, 404)
  assert.deepEqual(missing.body, { statusCode: 404, error: 'Not Found', message: 'variable not found' })
  for (const [method, route, body] of [
    ['GET', path(999999)], ['GET', path(999999, 'aaa')], ['PATCH', path(999999, 'aaa'), { content: 'x' }], ['DELETE', path(999999, 'aaa')]
  ] as const) {
    const res = await call(server, method, route, body)
    assert.equal(res.status, 404, `${method} ${route}`)
    assert.equal(res.body.message, 'app 999999 not found')
  }
  assert.equal((await call(server, 'GET', '/apps/zero/variables')).status, 400)
})

test('PATCH changes content and protection, each alone or both; DELETE removes', async () => {
  const app = await createApp(db.pool)
  const created = (await call(server, 'POST', path(app.id), { name: 'flag', content: 'off' })).body
  await new Promise(resolve => setTimeout(resolve, 5))

  const content = await call(server, 'PATCH', path(app.id, 'flag'), { content: 'on' })
  assert.equal(content.status, 200)
  assert.deepEqual({ ...content.body, updated_at: undefined }, { ...created, content: 'on', updated_at: undefined })
  assert.ok(content.body.updated_at > created.updated_at)
  const guarded = await call(server, 'PATCH', path(app.id, 'flag'), { protected: true })
  assert.equal(guarded.body.content, 'on')
  assert.equal(guarded.body.protected, true)
  const both = await call(server, 'PATCH', path(app.id, 'flag'), { content: '', protected: false })
  assert.equal(both.body.content, '', 'an empty content is a content')
  assert.equal(both.body.protected, false)
  assert.equal((await call(server, 'PATCH', path(app.id, 'flag'), {})).body.content, '')

  for (const [body, message] of [
    [{ content: 'x'.repeat(16001) }, /^body\/content must NOT have more than 16000 characters$/],
    [{ content: '😀'.repeat(8001) }, /^body\/content must NOT have more than 16000 characters$/],
    [{ protected: null }, /^body\/protected must be boolean$/],
    [{ content: 7 }, /^body\/content must be string$/]
  ] as const) {
    const res = await call(server, 'PATCH', path(app.id, 'flag'), body)
    assert.equal(res.status, 400, JSON.stringify(body).slice(0, 80))
    assert.match(res.body.message, message)
  }
  assert.equal((await call(server, 'PATCH', path(app.id, 'nope'), { content: 'x' })).status, 404)

  const removed = await call(server, 'DELETE', path(app.id, 'flag'))
  assert.equal(removed.status, 204)
  assert.equal(removed.body, undefined)
  const again = await call(server, 'DELETE', path(app.id, 'flag'))
  assert.equal(again.status, 404)
  assert.equal(again.body.message, 'variable not found')
  assert.equal((await call(server, 'GET', path(app.id, 'flag'))).status, 404)
})

test('variables go with their app', async () => {
  const app = (await call(server, 'POST', '/apps', { name: 'Temporary' })).body
  assert.equal((await call(server, 'POST', path(app.id), { name: 'motd', content: 'x' })).status, 201)
  assert.equal((await call(server, 'DELETE', `/apps/${app.id}`)).status, 204)
  const { rows } = await db.pool.query('SELECT count(*)::int AS n FROM variables WHERE app_id = $1', [app.id])
  assert.equal(rows[0].n, 0)
})
