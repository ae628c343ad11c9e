import { before, test } from 'node:test'
import assert from 'node:assert/strict'
import { randomUUID } from 'node:crypto'
import { testDatabase, type TestDatabase } from './helpers/database.js'
import { startServer, type TestServer } from './helpers/server.js'
import { onEnd } from './helpers/cleanup.js'
import { TestClient } from './helpers/client.js'
import { createApp, createLicense, createLicenses } from './helpers/fixtures.js'
import { TOKEN, call } from './helpers/admin.js'
import { SseReader } from './helpers/sse.js'
import { ConsoleSamplesRepository } from '../src/repositories/console-samples.js'

let db: TestDatabase
let server: TestServer

before(async t => {
  db = await testDatabase(t)
  // Mounted under a prefix, as a host would: everything the console fetches is relative.
  server = await startServer(t, db, { adminTokens: [TOKEN], prefix: '/license' })
})

test('without admin tokens there is no console and no console API', async t => {
  const bare = await startServer(t, db)
  for (const path of ['/console', '/console/', '/console/console.js', '/admin/v1/apps/1/sessions/stream', '/admin/v1/apps/1/sessions/history']) {
    const res = await fetch(bare.url + path, { headers: { authorization: `Bearer ${TOKEN}` } })
    assert.equal(res.status, 404, path)
    await res.body?.cancel()
  }
})

test('the console page: relative redirect, strict CSP, no inline script or style, its own files only', async () => {
  const redirect = await fetch(`${server.url}/console`, { redirect: 'manual' })
  assert.equal(redirect.status, 302)
  assert.equal(redirect.headers.get('location'), 'console/')

  const page = await fetch(`${server.url}/console/`)
  assert.equal(page.status, 200)
  assert.match(page.headers.get('content-type') ?? '', /^text\/html/)
  const csp = page.headers.get('content-security-policy') ?? ''
  for (const directive of ["default-src 'none'", "script-src 'self'", "style-src 'self'", "connect-src 'self'", "frame-ancestors 'none'", "base-uri 'none'"]) {
    assert.ok(csp.includes(directive), `${directive} in ${csp}`)
  }
  assert.doesNotMatch(csp, /unsafe-inline|unsafe-eval|https?:/)
  assert.equal(page.headers.get('x-content-type-options'), 'nosniff')
  assert.equal(page.headers.get('referrer-policy'), 'no-referrer')
  // HSTS stays the host's decision.
  assert.equal(page.headers.get('strict-transport-security'), null)
  const html = await page.text()
  // Every script has a src, there is no style element or attribute, and no absolute URL.
  assert.doesNotMatch(html, /<script(?![^>]*\bsrc=)[^>]*>/)
  assert.doesNotMatch(html, /<style|\sstyle=|\son[a-z]+=/i)
  assert.doesNotMatch(html, /(src|href)="(\/|https?:)/)
  assert.match(html, /<input[^>]+name="token"/)

  for (const [file, type] of [['console.js', /javascript/], ['console.css', /text\/css/], ['icon.svg', /image\/svg\+xml/]] as const) {
    const res = await fetch(`${server.url}/console/${file}`)
    assert.equal(res.status, 200, file)
    assert.match(res.headers.get('content-type') ?? '', type)
    const text = await res.text()
    assert.doesNotMatch(text, /https?:\/\/(?!www\.w3\.org\/2000\/svg)/, `${file} names no other origin`)
  }
  // The static files need no token; the API behind them does.
  const missing = await fetch(`${server.url}/console/nope.js`)
  assert.equal(missing.status, 404)
  await missing.body?.cancel()
})

test('the live session stream: bearer only, snapshot, then sessions starting and ending within 3 s', async t => {
  const app = await createApp(db.pool, { sessionLimit: 5 })
  const key = await createLicense(db.pool, app.id)

  const noToken = await fetch(`${server.url}/admin/v1/apps/${app.id}/sessions/stream`)
  assert.equal(noToken.status, 401)
  assert.equal(noToken.headers.get('www-authenticate'), 'Bearer')
  assert.deepEqual(await noToken.json(), { statusCode: 401, error: 'Unauthorized', message: 'missing or invalid admin token' })
  const wrong = await SseReader.open(`${server.url}/admin/v1/apps/${app.id}/sessions/stream`, 'not-the-admin-token-000')
  assert.equal(wrong.response.status, 401)
  const unknown = await SseReader.open(`${server.url}/admin/v1/apps/999999/sessions/stream`, TOKEN)
  assert.equal(unknown.response.status, 404)
  assert.equal(((await unknown.response.json()) as { message: string }).message, 'app 999999 not found')

  const stream = await SseReader.open(`${server.url}/admin/v1/apps/${app.id}/sessions/stream`, TOKEN)
  onEnd(t, async () => { stream.close() })
  assert.equal(stream.response.status, 200)
  assert.match(stream.response.headers.get('content-type') ?? '', /^text\/event-stream/)
  assert.equal(stream.response.headers.get('cache-control'), 'no-store')
  assert.deepEqual(await stream.next(), { event: 'snapshot', data: { items: [] } })

  const client = await TestClient.connect(server.wsUrl)
  onEnd(t, async () => { client.close() })
  const started = Date.now()
  assert.equal((await client.initialize(app.key, 'console-device-1')).status, 1)
  const appeared = await stream.next(3000)
  assert.equal(appeared.event, 'session')
  assert.equal(appeared.data.client_id, 'console-device-1')
  assert.equal(appeared.data.license, null)
  assert.ok(Date.now() - started < 3000)

  assert.equal((await client.authorize(key)).status, 1)
  const authorized = await stream.next(3000)
  assert.equal(authorized.event, 'session')
  assert.equal(authorized.data.id, appeared.data.id)
  assert.equal(authorized.data.license, key)

  // A second tab on the same app gets the whole list at once.
  const second = await SseReader.open(`${server.url}/admin/v1/apps/${app.id}/sessions/stream`, TOKEN)
  onEnd(t, async () => { second.close() })
  const snapshot = await second.next()
  assert.equal(snapshot.event, 'snapshot')
  assert.deepEqual(snapshot.data.items.map((s: { id: string }) => s.id), [appeared.data.id])

  client.close()
  await client.closed
  const ended = await stream.next(3000)
  assert.deepEqual(ended, { event: 'session_end', data: { id: appeared.data.id } })
  assert.deepEqual(await second.next(3000), ended)
})

test('the chart series: one sample per app and interval, whichever instances take it', async () => {
  const app = await createApp(db.pool)
  const route = `/apps/${app.id}/sessions/history`
  const first = await call(server, 'GET', route)
  assert.equal(first.status, 200)
  assert.equal(first.body.interval_s, 30)
  assert.ok(Array.isArray(first.body.items))

  // Hour-long intervals, so the servers' own 30-s sampling cannot be told apart from
  // these by accident: two instances sampling the same interval leave one row.
  const samples = new ConsoleSamplesRepository(db.pool)
  await samples.sample(3600, 3900)
  await samples.sample(3600, 3900)
  const items = (await call(server, 'GET', route)).body.items as { at: string, authorized: number }[]
  const hourly = items.filter(p => new Date(p.at).getTime() % 3600_000 === 0 && Date.now() - new Date(p.at).getTime() < 3600_000)
  assert.equal(hourly.length, 1, JSON.stringify(items))
  assert.equal(hourly[0]!.authorized, 0)
  assert.deepEqual(items.map(p => p.at), [...items.map(p => p.at)].sort(), 'oldest first')

  assert.equal((await call(server, 'GET', route, undefined, null)).status, 401)
  assert.equal((await call(server, 'GET', '/apps/999999/sessions/history')).status, 404)
  assert.equal((await call(server, 'GET', '/apps/abc/sessions/history')).status, 400)
})

test('licenses: search by key prefix, with the state filter and paging', async () => {
  const app = await createApp(db.pool)
  await createLicenses(db.pool, app.id, 3)
  for (const key of ['ALPHA-0001', 'ALPHA-0002', 'ALPHA-0003', 'BETA-00001']) await createLicense(db.pool, app.id, { key })
  await call(server, 'POST', `/apps/${app.id}/licenses/ALPHA-0002/pause`)

  const all = await call(server, 'GET', `/apps/${app.id}/licenses?q=ALPHA-`)
  assert.deepEqual(all.body.items.map((l: { key: string }) => l.key), ['ALPHA-0001', 'ALPHA-0002', 'ALPHA-0003'])
  const paused = await call(server, 'GET', `/apps/${app.id}/licenses?q=ALPHA-&state=paused`)
  assert.deepEqual(paused.body.items.map((l: { key: string }) => l.key), ['ALPHA-0002'])
  const first = await call(server, 'GET', `/apps/${app.id}/licenses?q=ALPHA&limit=2`)
  assert.equal(first.body.items.length, 2)
  const rest = await call(server, 'GET', `/apps/${app.id}/licenses?q=ALPHA&limit=2&cursor=${first.body.next_cursor}`)
  assert.deepEqual(rest.body.items.map((l: { key: string }) => l.key), ['ALPHA-0003'])
  assert.equal(rest.body.next_cursor, null)
  // Case-sensitive, and LIKE's wildcards are plain characters.
  assert.deepEqual((await call(server, 'GET', `/apps/${app.id}/licenses?q=alpha`)).body.items, [])
  assert.deepEqual((await call(server, 'GET', `/apps/${app.id}/licenses?q=%25`)).body.items, [])
  assert.equal((await call(server, 'GET', `/apps/${app.id}/licenses?q=`)).status, 400)
})

test('across instances: a session on another instance shows in the stream; closing an instance ends its streams', async t => {
  const instanceId = randomUUID()
  const other = await startServer(t, db, { adminTokens: [TOKEN], instanceId })
  const app = await createApp(db.pool)
  const stream = await SseReader.open(`${server.url}/admin/v1/apps/${app.id}/sessions/stream`, TOKEN)
  onEnd(t, async () => { stream.close() })
  assert.equal((await stream.next()).event, 'snapshot')

  const client = await TestClient.connect(other.wsUrl)
  onEnd(t, async () => { client.close() })
  assert.equal((await client.initialize(app.key, 'other-instance-1')).status, 1)
  const appeared = await stream.next(3000)
  assert.equal(appeared.event, 'session')
  assert.equal(appeared.data.client_id, 'other-instance-1')
  assert.equal(appeared.data.instance_id, instanceId)

  // A console watching the closing instance does not hold its shutdown up.
  const watching = await SseReader.open(`${other.url}/admin/v1/apps/${app.id}/sessions/stream`, TOKEN)
  onEnd(t, async () => { watching.close() })
  assert.equal((await watching.next()).event, 'snapshot')
  const started = Date.now()
  await other.close()
  assert.ok(Date.now() - started < 5000, `closing took ${Date.now() - started} ms`)
  // Drained, the session waits to be resumed (docs/protocol.md §9): it shows suspended.
  const suspended = await stream.next(3000)
  assert.equal(suspended.event, 'session')
  assert.equal(suspended.data.id, appeared.data.id)
  assert.notEqual(suspended.data.suspended_until, null)
})

test('a host that registers @fastify/helmet and @fastify/static itself keeps them; the console keeps its own CSP', async t => {
  const { default: Fastify } = await import('fastify')
  const { default: helmet } = await import('@fastify/helmet')
  const { default: fastifyStatic } = await import('@fastify/static')
  const { default: licensewire } = await import('../src/index.js')
  const host = Fastify({ logger: false })
  onEnd(t, () => host.close())
  await host.register(helmet, { contentSecurityPolicy: { directives: { 'script-src': ["'self'", 'https://cdn.example'] } } })
  await host.register(fastifyStatic, { root: process.cwd() + '/docs', prefix: '/host-docs/' })
  await host.register(licensewire, {
    ...(db.real ? { connectionString: db.connectionString, poolMax: 4 } : { pool: db.pool, events: 'local' as const }),
    adminTokens: [TOKEN],
    prefix: '/lw'
  })
  const hostFile = await host.inject({ url: '/host-docs/admin-api.md' })
  assert.equal(hostFile.statusCode, 200)
  assert.match(String(hostFile.headers['content-security-policy']), /cdn\.example/)
  const page = await host.inject({ url: '/lw/console/' })
  assert.equal(page.statusCode, 200)
  const csp = String(page.headers['content-security-policy'])
  assert.match(csp, /default-src 'none'/)
  assert.doesNotMatch(csp, /cdn\.example/)
})
