import { before, test } from 'node:test'
import assert from 'node:assert/strict'
import { testDatabase, type TestDatabase } from './helpers/database.js'
import { startServer, type TestServer } from './helpers/server.js'
import { createApp, createLicense, licenseRow, type TestApp } from './helpers/fixtures.js'
import { TOKEN, call } from './helpers/admin.js'

const YEAR = 365 * 86400
let db: TestDatabase
let server: TestServer
let app: TestApp

before(async t => {
  db = await testDatabase(t)
  server = await startServer(t, db, { adminTokens: [TOKEN] })
  app = await createApp(db.pool)
})

/** A JSON object nested `depth` levels: depth 1 is `{"a":1}`. */
function nested (depth: number): Record<string, unknown> {
  let value: Record<string, unknown> = { a: 1 }
  for (let i = 1; i < depth; i++) value = { a: value }
  return value
}

/** JSON text of the same, built as text: a JSON.stringify of it would itself overflow the stack. */
const nestedText = (depth: number): string => '{"a":'.repeat(depth) + '1' + '}'.repeat(depth)

async function raw (method: string, path: string, body: string): Promise<{ status: number, body: { message: string } }> {
  const res = await fetch(`${server.url}/admin/v1${path}`, {
    method, headers: { authorization: `Bearer ${TOKEN}`, 'content-type': 'application/json' }, body
  })
  return { status: res.status, body: await res.json() as { message: string } }
}

test('an unknown body field is a 400 naming it, on every kind of body', async () => {
  const key = await createLicense(db.pool, app.id)
  const cases: [string, string, Record<string, unknown>][] = [
    ['POST', '/apps', { name: 'x', bogus: 1 }],
    ['PATCH', `/apps/${app.id}`, { sesion_limit: 5 }],
    ['POST', `/apps/${app.id}/licenses`, { duration: '1d', level: {} }],
    ['PATCH', `/apps/${app.id}/licenses/${key}`, { comment: 'c', state: 'active' }],
    ['POST', `/apps/${app.id}/licenses/${key}/extend`, { duration: '1d', from: 'now' }],
    ['POST', `/apps/${app.id}/licenses/${key}/blacklist`, { reason: 'x' }],
    ['POST', `/apps/${app.id}/blacklist`, { client_id: 'device-x1', note: 'x' }],
    ['POST', `/apps/${app.id}/variables`, { name: 'motd', content: 'x', secret: true }],
    ['POST', `/apps/${app.id}/accounts`, { login: 'someone', password: 'long enough pw', email: true }]
  ]
  for (const [method, path, body] of cases) {
    const res = await call(server, method, path, body)
    const unknown = Object.keys(body).at(-1)!
    assert.equal(res.status, 400, `${method} ${path}`)
    assert.equal(res.body.message, `body must not have the unknown field "${unknown}"`, `${method} ${path}`)
  }
  assert.equal((await call(server, 'GET', '/apps')).body.items.some((a: { name: string }) => a.name === 'x'), false)
  assert.equal((await licenseRow(db.pool, app.id, key))!.blacklisted_at, null)
})

test('enum and constant errors list the allowed values', async () => {
  const state = await call(server, 'GET', `/apps/${app.id}/licenses?state=on`)
  assert.equal(state.status, 400)
  assert.equal(state.body.message, 'querystring/state must be one of "available", "active", "expired", "paused", "blacklisted"')
  const type = await call(server, 'POST', `/apps/${app.id}/accounts`, { login: 'someone', password: 'long enough pw', credentials_type: 2 })
  assert.equal(type.status, 400)
  assert.equal(type.body.message, 'body/credentials_type must be one of 0, 1')
})

test('levels are bounded: 4 KiB as JSON, 8 levels deep; deeper or larger is a 400, never a 500', async () => {
  const ok = await call(server, 'POST', `/apps/${app.id}/licenses`, { duration: '1d', levels: { pad: 'x'.repeat(4000), n: nested(7) } })
  assert.equal(ok.status, 201, JSON.stringify(ok.body))
  const cases: [unknown, string][] = [
    [{ pad: 'x'.repeat(4100) }, 'body/levels must be at most 4096 bytes as JSON'],
    // 4 KiB counts bytes: 1,500 three-byte characters are 4,500 bytes.
    [{ pad: '€'.repeat(1500) }, 'body/levels must be at most 4096 bytes as JSON'],
    [nested(9), 'body/levels must not nest deeper than 8 levels'],
    [{ list: [[[[[[[[1]]]]]]]] }, 'body/levels must not nest deeper than 8 levels']
  ]
  for (const [levels, message] of cases) {
    for (const [method, path] of [['POST', `/apps/${app.id}/licenses`], ['PATCH', `/apps/${app.id}/licenses/${ok.body.items[0].key}`]] as const) {
      const body = method === 'POST' ? { duration: '1d', levels } : { levels }
      const res = await call(server, method, path, body)
      assert.equal(res.status, 400, `${method} ${JSON.stringify(levels).slice(0, 40)}`)
      assert.equal(res.body.message, message)
    }
  }
  // Deep enough to overflow any recursive walk: refused before one runs.
  for (const depth of [17, 5000, 100_000]) {
    const res = await raw('POST', `/apps/${app.id}/licenses`, `{"duration":"1d","levels":${nestedText(depth)}}`)
    assert.equal(res.status, 400, String(depth))
    assert.equal(res.body.message, 'body must not nest deeper than 16 levels')
  }
})

test('a lone surrogate anywhere in admin input is a 400, and nothing is stored', async () => {
  const key = await createLicense(db.pool, app.id)
  const cases: [string, string, string][] = [
    ['POST', '/apps', '{"name":"app\\ud800"}'],
    ['POST', `/apps/${app.id}/licenses`, '{"duration":"1d","keys":["KEY-\\udbffabcd"]}'],
    ['POST', `/apps/${app.id}/licenses`, '{"duration":"1d","levels":{"tier":"pro\\udc00"}}'],
    ['POST', `/apps/${app.id}/licenses`, '{"duration":"1d","levels":{"t\\ud800":"pro"}}'],
    ['POST', `/apps/${app.id}/licenses`, '{"duration":"1d","levels":{"a":[["\\ud800"]]}}'],
    ['PATCH', `/apps/${app.id}/licenses/${key}`, '{"comment":"\\udfff"}'],
    ['POST', `/apps/${app.id}/blacklist`, '{"client_id":"\\ud800abcd"}'],
    ['POST', `/apps/${app.id}/variables`, '{"name":"motd","content":"hi \\ud83d"}'],
    ['POST', `/apps/${app.id}/accounts`, '{"login":"some\\ud800one","password":"long enough pw"}']
  ]
  for (const [method, path, body] of cases) {
    const res = await raw(method, path, body)
    assert.equal(res.status, 400, body)
    assert.match(res.body.message, /lone surrogate/, body)
  }
  // A surrogate pair is a character like any other.
  const pair = await raw('POST', `/apps/${app.id}/blacklist`, '{"client_id":"\\ud83d\\ude00\\ud83d\\ude00"}')
  assert.equal(pair.status, 201)
  const { rows } = await db.pool.query('SELECT count(*)::int AS n FROM client_blacklist WHERE app_id = $1', [app.id])
  assert.equal(rows[0].n, 1)
  // In a path: percent-encoded UTF-8 of a lone surrogate is not UTF-8 at all.
  const inPath = await fetch(`${server.url}/admin/v1/apps/${app.id}/licenses/KEY%ED%A0%80X`, { headers: { authorization: `Bearer ${TOKEN}` } })
  assert.equal(inPath.status, 400)
})

test('lengths count UTF-16 units everywhere, the database checks included', async () => {
  // Three emoji are 6 units: a valid key, though only 3 code points.
  const keys = await call(server, 'POST', `/apps/${app.id}/licenses`, { duration: '1d', keys: ['😀😀😀'] })
  assert.equal(keys.status, 201, JSON.stringify(keys.body))
  const long = await call(server, 'POST', `/apps/${app.id}/licenses`, { duration: '1d', keys: ['😀'.repeat(33)] })
  assert.equal(long.status, 400)
  const variable = await call(server, 'POST', `/apps/${app.id}/variables`, { name: '😀x', content: '😀'.repeat(8000) })
  assert.equal(variable.status, 201, JSON.stringify(variable.body))
  const tooLong = await call(server, 'POST', `/apps/${app.id}/variables`, { name: 'big', content: '😀'.repeat(8001) })
  assert.equal(tooLong.status, 400)
  assert.equal((await call(server, 'POST', `/apps/${app.id}/blacklist`, { client_id: '😀'.repeat(33) })).status, 400)
  // The database holds the same rule, for writers other than this server.
  const { rows } = await db.pool.query(`SELECT lw_utf16_length('a😀') AS n, lw_utf16_length('') AS e`)
  assert.deepEqual(rows[0], { n: 3, e: 0 })
  await assert.rejects(db.pool.query(`INSERT INTO client_blacklist (app_id, client_id) VALUES ($1, $2)`, [app.id, '😀'.repeat(33)]), /client_blacklist_client_id_check/)
  await assert.rejects(db.pool.query(`INSERT INTO licenses (app_id, key, duration_seconds) VALUES ($1, $2, 60)`, [app.id, '😀'.repeat(33)]), /licenses_key_check/)
  await db.pool.query(`INSERT INTO licenses (app_id, key, duration_seconds) VALUES ($1, $2, 60)`, [app.id, '😀'.repeat(32)])
})

test('path ids are decimal only: 0x1, 1e0, +1 and 01.0 are 400', async () => {
  for (const id of ['0x1', '1e0', '+1', '1.0', '%201']) {
    const res = await call(server, 'GET', `/apps/${id}`)
    assert.equal(res.status, 400, id)
    assert.equal(res.body.message, 'params/appId must be integer', id)
  }
  // The console's routes too.
  const history = await call(server, 'GET', '/apps/0x1/sessions/history')
  assert.equal(history.status, 400)
  assert.equal(history.body.message, 'params/appId must be integer')
  const accounts = await call(server, 'GET', `/apps/${app.id}/accounts/0x1`)
  assert.equal(accounts.status, 400)
  assert.equal(accounts.body.message, 'params/accountId must be integer')
  assert.equal((await call(server, 'GET', `/apps/${app.id}`)).status, 200)
  assert.equal((await call(server, 'GET', `/apps/0${app.id}`)).status, 200)
})

async function durationOf (key: string): Promise<number> {
  const { rows } = await db.pool.query('SELECT duration_seconds FROM licenses WHERE app_id = $1 AND key = $2', [app.id, key])
  return Number(rows[0].duration_seconds)
}

test('extend caps the time left at 100 years, activated or not', async () => {
  const fresh = await createLicense(db.pool, app.id, { durationSeconds: 86400 })
  for (let i = 0; i < 3; i++) {
    const res = await call(server, 'POST', `/apps/${app.id}/licenses/${fresh}/extend`, { duration: '100y' })
    assert.equal(res.status, 200)
  }
  assert.equal(await durationOf(fresh), 100 * YEAR)

  const active = await createLicense(db.pool, app.id, { activatedAgo: 60, expiresIn: 30 * 86400 })
  for (let i = 0; i < 3; i++) {
    assert.equal((await call(server, 'POST', `/apps/${app.id}/licenses/${active}/extend`, { duration: '100y' })).status, 200)
  }
  const { rows } = await db.pool.query(
    'SELECT extract(epoch FROM expires_at - now())::float8 AS left FROM licenses WHERE app_id = $1 AND key = $2', [app.id, active])
  assert.ok(Math.abs(rows[0].left - 100 * YEAR) < 60, String(rows[0].left))

  // A cap never takes time away: a small extension of a capped license leaves it as it was.
  assert.equal((await call(server, 'POST', `/apps/${app.id}/licenses/${fresh}/extend`, { duration: '1d' })).status, 200)
  assert.equal(await durationOf(fresh), 100 * YEAR)
})
