import { before, test } from 'node:test'
import assert from 'node:assert/strict'
import { randomUUID } from 'node:crypto'
import { testDatabase, type TestDatabase } from './helpers/database.js'
import { startServer, type TestServer } from './helpers/server.js'
import { createApp, createLicense } from './helpers/fixtures.js'
import { ISO, TOKEN, call, recordEvents } from './helpers/admin.js'
import type { LiveEvent } from '../src/events.js'

const INSTANCE = randomUUID()
let db: TestDatabase
let server: TestServer
let events: LiveEvent[]

before(async t => {
  db = await testDatabase(t)
  server = await startServer(t, db, { adminTokens: ['another-token-0123456789', TOKEN], instanceId: INSTANCE })
  events = recordEvents(server)
})

const APP_KEYS = ['id', 'name', 'version', 'websocket_api_key', 'session_limit', 'blacklist_limit', 'accounts_limit', 'accounts_require_license', 'signed_leases', 'paused', 'file_storage_limit_mib', 'created_at', 'updated_at']

test('POST /apps creates an app with defaults and a fresh API key', async () => {
  const res = await call(server, 'POST', '/apps', { name: 'Desk' })
  assert.equal(res.status, 201)
  assert.deepEqual(Object.keys(res.body).sort(), [...APP_KEYS].sort())
  assert.equal(res.body.name, 'Desk')
  assert.equal(res.body.version, '1.0.0')
  assert.equal(res.body.session_limit, 100)
  assert.equal(res.body.blacklist_limit, 10000)
  assert.equal(res.body.accounts_limit, 10000)
  assert.equal(res.body.accounts_require_license, false)
  assert.equal(res.body.paused, false)
  assert.equal(res.body.signed_leases, false)
  assert.equal(typeof res.body.id, 'number')
  assert.match(res.body.websocket_api_key, /^[A-Z0-9]{21}$/)
  assert.match(res.body.created_at, ISO)
  assert.match(res.body.updated_at, ISO)

  const full = await call(server, 'POST', '/apps', { name: 'Full', version: '3.2.1', session_limit: 0, blacklist_limit: 0, paused: true, accounts_limit: 7, accounts_require_license: true })
  assert.equal(full.status, 201)
  assert.equal(full.body.version, '3.2.1')
  assert.equal(full.body.session_limit, 0)
  assert.equal(full.body.blacklist_limit, 0)
  assert.equal(full.body.accounts_limit, 7)
  assert.equal(full.body.accounts_require_license, true)
  assert.equal(full.body.paused, true)
  assert.notEqual(full.body.websocket_api_key, res.body.websocket_api_key)
})

test('POST /apps rejects bad fields with a 400 that names them', async () => {
  const cases: [unknown, RegExp][] = [
    [{}, /^body must have required property 'name'$/],
    [{ name: '' }, /^body\/name must NOT have fewer than 1 characters$/],
    [{ name: 5 }, /^body\/name must be string$/],
    [{ name: { first: 'x' } }, /^body\/name must be string$/],
    [{ name: 'x', session_limit: '5' }, /^body\/session_limit must be integer$/],
    [{ name: 'x', session_limit: null }, /^body\/session_limit must be integer$/],
    [{ name: 'x', paused: 'true' }, /^body\/paused must be boolean$/],
    [{ name: 'x', session_limit: -1 }, /^body\/session_limit must be >= 0$/],
    [{ name: 'x', session_limit: 1.5 }, /^body\/session_limit must be integer$/],
    [{ name: 'x', blacklist_limit: '5' }, /^body\/blacklist_limit must be integer$/],
    [{ name: 'x', blacklist_limit: null }, /^body\/blacklist_limit must be integer$/],
    [{ name: 'x', blacklist_limit: -1 }, /^body\/blacklist_limit must be >= 0$/],
    [{ name: 'x', blacklist_limit: 2 ** 31 }, /^body\/blacklist_limit must be <= 2147483647$/],
    [{ name: 'x', paused: 'maybe' }, /^body\/paused must be boolean$/],
    [{ name: 'x', version: '' }, /^body\/version must NOT have fewer than 1 characters$/],
    [{ name: 'x', accounts_limit: -1 }, /^body\/accounts_limit must be >= 0$/],
    [{ name: 'x', accounts_limit: null }, /^body\/accounts_limit must be integer$/],
    [{ name: 'x', accounts_require_license: 'yes' }, /^body\/accounts_require_license must be boolean$/],
    [{ name: 'a\u0000b' }, /^body\/name must match pattern/]
  ]
  for (const [body, message] of cases) {
    const res = await call(server, 'POST', '/apps', body)
    assert.equal(res.status, 400, JSON.stringify(body))
    assert.equal(res.body.statusCode, 400)
    assert.equal(res.body.error, 'Bad Request')
    assert.match(res.body.message, message)
  }
})

test('GET /apps lists every app; GET /apps/:id adds the session counts', async () => {
  const created = (await call(server, 'POST', '/apps', { name: 'Counted', session_limit: 5 })).body
  const license = await createLicense(db.pool, created.id, { activatedAgo: 60, expiresIn: 3600, clientId: 'device-0001' })
  const { rows } = await db.pool.query('SELECT id FROM licenses WHERE key = $1', [license])
  // Two initialized sessions on this instance, one of them authorized and holding a slot.
  await db.pool.query(
    `INSERT INTO sessions (id, instance_id, app_id, client_id, ip_address, license_id, authorized_at)
     VALUES ($1, $3, $4, 'device-0001', '127.0.0.1', $5, now()), ($2, $3, $4, 'device-0002', '127.0.0.1', NULL, NULL)`,
    [randomUUID(), randomUUID(), INSTANCE, created.id, rows[0].id])
  await db.pool.query('UPDATE apps SET authorized_sessions = 1 WHERE id = $1', [created.id])

  const list = await call(server, 'GET', '/apps')
  assert.equal(list.status, 200)
  assert.deepEqual(Object.keys(list.body), ['items'])
  const listed = list.body.items.find((a: { id: number }) => a.id === created.id)
  assert.deepEqual(listed, created)
  assert.ok(list.body.items.length >= 3)

  const one = await call(server, 'GET', `/apps/${created.id}`)
  assert.equal(one.status, 200)
  assert.deepEqual(one.body, { ...created, authorized_sessions: 1, online_sessions: 2 })
})

test('GET /apps/:id: 404 for an unknown id, 400 for a malformed one', async () => {
  const missing = await call(server, 'GET', '/apps/999999')
  assert.equal(missing.status, 404)
  assert.deepEqual(missing.body, { statusCode: 404, error: 'Not Found', message: 'app 999999 not found' })
  for (const bad of ['abc', '0', '1.5']) {
    const res = await call(server, 'GET', `/apps/${bad}`)
    assert.equal(res.status, 400, bad)
    assert.match(res.body.message, /^params\/appId must be/)
  }
})

test('PATCH /apps/:id changes fields and publishes pause and version events once', async () => {
  const created = (await call(server, 'POST', '/apps', { name: 'Patchy' })).body
  events.length = 0

  const renamed = await call(server, 'PATCH', `/apps/${created.id}`, { name: 'Renamed', session_limit: 7, blacklist_limit: 3 })
  assert.equal(renamed.status, 200)
  assert.equal(renamed.body.name, 'Renamed')
  assert.equal(renamed.body.session_limit, 7)
  assert.equal(renamed.body.blacklist_limit, 3)
  assert.equal(renamed.body.version, '1.0.0')
  assert.equal(renamed.body.websocket_api_key, created.websocket_api_key)
  assert.ok(renamed.body.updated_at >= created.updated_at)
  assert.deepEqual(events, [], 'name and limit changes push nothing')

  const paused = await call(server, 'PATCH', `/apps/${created.id}`, { paused: true, version: '2.0.0' })
  assert.equal(paused.status, 200)
  assert.equal(paused.body.paused, true)
  assert.equal(paused.body.version, '2.0.0')
  assert.deepEqual(events, [
    { type: 'app_paused', appId: created.id },
    { type: 'app_version_changed', appId: created.id, version: '2.0.0' }
  ])

  events.length = 0
  const again = await call(server, 'PATCH', `/apps/${created.id}`, { paused: true, version: '2.0.0' })
  assert.equal(again.status, 200)
  assert.deepEqual(events, [], 'no change, no event')

  const unpaused = await call(server, 'PATCH', `/apps/${created.id}`, { paused: false })
  assert.equal(unpaused.body.paused, false)
  assert.deepEqual(events, [], 'unpausing pushes nothing')

  for (const body of [{ session_limit: 'lots' }, { session_limit: null }]) {
    const bad = await call(server, 'PATCH', `/apps/${created.id}`, body)
    assert.equal(bad.status, 400)
    assert.match(bad.body.message, /^body\/session_limit must be integer$/)
  }
  for (const body of [{ blacklist_limit: '9' }, { blacklist_limit: null }, { blacklist_limit: -5 }]) {
    const bad = await call(server, 'PATCH', `/apps/${created.id}`, body)
    assert.equal(bad.status, 400)
    assert.match(bad.body.message, /^body\/blacklist_limit must be/)
  }
  const kept = (await call(server, 'GET', `/apps/${created.id}`)).body
  assert.equal(kept.session_limit, 7, 'a null is not a zero')
  assert.equal(kept.blacklist_limit, 3)
  const missing = await call(server, 'PATCH', '/apps/999999', { name: 'x' })
  assert.equal(missing.status, 404)
  assert.deepEqual(events, [])
})

test('DELETE /apps/:id removes the app with its licenses and publishes app_deleted', async () => {
  const created = (await call(server, 'POST', '/apps', { name: 'Doomed' })).body
  await createLicense(db.pool, created.id)
  events.length = 0

  const res = await call(server, 'DELETE', `/apps/${created.id}`)
  assert.equal(res.status, 204)
  assert.equal(res.body, undefined)
  assert.deepEqual(events, [{ type: 'app_deleted', appId: created.id }])
  assert.equal((await call(server, 'GET', `/apps/${created.id}`)).status, 404)
  const { rows } = await db.pool.query('SELECT count(*)::int AS n FROM licenses WHERE app_id = $1', [created.id])
  assert.equal(rows[0].n, 0)

  events.length = 0
  const again = await call(server, 'DELETE', `/apps/${created.id}`)
  assert.equal(again.status, 404)
  assert.deepEqual(events, [])
  assert.equal((await call(server, 'DELETE', '/apps/x')).status, 400)
})

test('POST /apps/:id/rotate-key replaces the API key', async () => {
  const app = await createApp(db.pool)
  const res = await call(server, 'POST', `/apps/${app.id}/rotate-key`)
  assert.equal(res.status, 200)
  assert.match(res.body.websocket_api_key, /^[A-Z0-9]{21}$/)
  assert.notEqual(res.body.websocket_api_key, app.key)
  const { rows } = await db.pool.query('SELECT websocket_api_key FROM apps WHERE id = $1', [app.id])
  assert.equal(rows[0].websocket_api_key, res.body.websocket_api_key)
  assert.equal((await call(server, 'POST', '/apps/999999/rotate-key')).status, 404)
  assert.equal((await call(server, 'POST', '/apps/nope/rotate-key')).status, 400)
})

/** Every operation of the OpenAPI document, with sample path parameters. */
async function operations (): Promise<{ method: string, path: string }[]> {
  const doc = (await call(server, 'GET', '/admin/openapi.json')).body
  const out: { method: string, path: string }[] = []
  for (const [path, item] of Object.entries(doc.paths as Record<string, Record<string, unknown>>)) {
    for (const method of Object.keys(item)) {
      out.push({
        method: method.toUpperCase(),
        path: path.replace('{appId}', '1').replace('{key}', 'SOME-KEY').replace('{clientId}', 'device-1').replace('{sessionId}', randomUUID())
          .replace('{name}', 'motd').replace('{accountId}', '1')
      })
    }
  }
  return out
}

test('the OpenAPI document lists every route with its schemas', async () => {
  const res = await call(server, 'GET', '/admin/openapi.json')
  assert.equal(res.status, 200)
  assert.match(res.headers.get('content-type') ?? '', /application\/json/)
  const doc = res.body
  assert.match(doc.openapi, /^3\./)
  const listed = Object.entries(doc.paths as Record<string, Record<string, unknown>>)
    .flatMap(([path, item]) => Object.keys(item).map(m => `${m.toUpperCase()} ${path}`)).sort()
  const a = '/admin/v1/apps'
  const l = `${a}/{appId}/licenses/{key}`
  const u = `${a}/{appId}/accounts/{accountId}`
  assert.deepEqual(listed, [
    `GET ${a}`, `POST ${a}`,
    `DELETE ${a}/{appId}`, `GET ${a}/{appId}`, `PATCH ${a}/{appId}`,
    `GET ${a}/{appId}/blacklist`, `POST ${a}/{appId}/blacklist`,
    `DELETE ${a}/{appId}/blacklist/{clientId}`,
    `GET ${a}/{appId}/licenses`, `POST ${a}/{appId}/licenses`,
    `DELETE ${l}`, `GET ${l}`, `PATCH ${l}`,
    `POST ${l}/blacklist`, `POST ${l}/extend`, `POST ${l}/pause`, `POST ${l}/reinitialize`,
    `POST ${l}/reset-client`, `POST ${l}/unblacklist`, `POST ${l}/unpause`,
    `POST ${a}/{appId}/rotate-key`,
    `GET ${a}/{appId}/sessions`,
    `DELETE ${a}/{appId}/sessions/{sessionId}`,
    `GET ${a}/{appId}/variables`, `POST ${a}/{appId}/variables`,
    `DELETE ${a}/{appId}/variables/{name}`, `GET ${a}/{appId}/variables/{name}`, `PATCH ${a}/{appId}/variables/{name}`,
    `GET ${a}/{appId}/accounts`, `POST ${a}/{appId}/accounts`,
    `DELETE ${u}`, `GET ${u}`, `PATCH ${u}`,
    `POST ${u}/blacklist`, `POST ${u}/unblacklist`, `POST ${u}/licenses`, `DELETE ${u}/licenses/{key}`,
    `GET ${a}/{appId}/files`,
    `DELETE ${a}/{appId}/files/{name}`, `GET ${a}/{appId}/files/{name}`, `PUT ${a}/{appId}/files/{name}`,
    'GET /admin/v1/signing-keys', 'POST /admin/v1/signing-keys/rotate'
  ].sort())
  const create = doc.paths[a].post
  assert.deepEqual(create.requestBody.content['application/json'].schema.required, ['name'])
  assert.ok(create.responses['201'].content['application/json'].schema.properties.websocket_api_key)
  assert.ok(create.responses['401'])
  const license = doc.paths[l].get.responses['200'].content['application/json'].schema
  assert.deepEqual(license.properties.state.enum, ['available', 'active', 'expired', 'paused', 'blacklisted'])
  const variable = doc.paths[`${a}/{appId}/variables`].post
  assert.deepEqual(variable.requestBody.content['application/json'].schema.required, ['name', 'content'])
  assert.deepEqual(Object.keys(variable.responses).sort(), ['201', '400', '401', '404', '409'])
  assert.deepEqual(Object.keys(variable.responses['201'].content['application/json'].schema.properties),
    ['name', 'content', 'protected', 'created_at', 'updated_at'])
  const entry = doc.paths[`${a}/{appId}/blacklist`].get.responses['200'].content['application/json'].schema.properties.items.items
  assert.deepEqual(entry.properties.source.enum, ['admin', 'client'])
  assert.equal(create.requestBody.content['application/json'].schema.properties.blacklist_limit.type, 'integer')
  assert.deepEqual(doc.components.securitySchemes.bearer, { type: 'http', scheme: 'bearer' })
  assert.equal(doc.paths['/admin/openapi.json'], undefined, 'the document does not list itself')
})

test('every route answers 401 without a token or with a wrong one', async () => {
  const ops = await operations()
  assert.equal(ops.length, 43)
  for (const token of [null, 'wrong-token-0123456789', TOKEN + 'x', TOKEN.slice(0, -1)]) {
    for (const { method, path } of ops) {
      const res = await call(server, method, path, method === 'GET' || method === 'DELETE' ? undefined : {}, token)
      assert.equal(res.status, 401, `${method} ${path} with ${token}`)
      assert.deepEqual(res.body, { statusCode: 401, error: 'Unauthorized', message: 'missing or invalid admin token' })
      assert.equal(res.headers.get('www-authenticate'), 'Bearer')
    }
  }
  const other = await call(server, 'GET', '/apps', undefined, 'another-token-0123456789')
  assert.equal(other.status, 200, 'any configured token works')
  const raw = await fetch(`${server.url}/admin/v1/apps`, { headers: { authorization: TOKEN } })
  assert.equal(raw.status, 401, 'the Bearer scheme is required')
})

test('the OpenAPI document and the interactive reference need no token; the reference serves our document', async () => {
  const doc = await fetch(`${server.url}/admin/openapi.json`)
  assert.equal(doc.status, 200)
  const paths = Object.keys((await doc.json() as { paths: Record<string, unknown> }).paths)
  assert.ok(paths.includes('/admin/v1/apps'))
  assert.ok(!paths.some(p => p.startsWith('/admin/docs')), 'the reference does not document itself')

  const page = await fetch(`${server.url}/admin/docs/`)
  assert.equal(page.status, 200)
  assert.match(await page.text(), /swagger-ui/i)
  const fromUi = await fetch(`${server.url}/admin/docs/json`)
  assert.equal(fromUi.status, 200)
  assert.deepEqual(Object.keys((await fromUi.json() as { paths: Record<string, unknown> }).paths), paths, 'the reference shows this API')
  assert.equal((await fetch(`${server.url}/admin/v1/apps`)).status, 401, 'the API itself still needs the token')
})

test('without admin tokens the management API does not exist', async t => {
  const bare = await startServer(t, db, { prefix: '/lw' })
  for (const path of ['/admin/v1/apps', '/admin/openapi.json', '/admin/docs', '/admin/v1/apps/1/licenses']) {
    const res = await call(bare, 'GET', path)
    assert.equal(res.status, 404, path)
    assert.match(res.body.message, /^Route GET:\/lw\/admin\/.* not found$/)
  }
  assert.equal((await call(bare, 'POST', '/apps', { name: 'x' })).status, 404)
  assert.equal((await fetch(`${bare.url}/healthz`)).status, 200, 'the server itself is up')
  const prefixed = await startServer(t, db, { prefix: '/lw', adminTokens: [TOKEN] })
  assert.equal((await call(prefixed, 'GET', '/apps')).status, 200, 'mounted under the plugin prefix')
  const doc = (await call(prefixed, 'GET', '/admin/openapi.json')).body
  assert.ok(doc.paths['/lw/admin/v1/apps'])
})
