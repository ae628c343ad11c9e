import { before, describe, test } from 'node:test'
import assert from 'node:assert/strict'
import { testDatabase, type TestDatabase } from './helpers/database.js'
import { startServer, type TestServer } from './helpers/server.js'
import { TestClient, waitFor } from './helpers/client.js'
import { call, TOKEN } from './helpers/admin.js'
import { authorizedSessions, blacklistClient, createApp, createLicense, sessionIdOf, sessionRows, suspendAsOldVersion, type TestApp } from './helpers/fixtures.js'

// Session resumption (docs/protocol.md §9) on one instance, and across a drain onto a
// second one on the same database. test/postgres/resumption.test.ts adds separate
// processes and races across instances.
let db: TestDatabase
let server: TestServer

const NOT_FOUND = { code: 4401, reason: 'resume ID was not found or it is expired' }
const EVENT_ID = Number('18446744073709551615')

before(async t => {
  db = await testDatabase(t)
  // A short lease: the sweep that ends expired windows runs every 200 ms.
  server = await startServer(t, db, { adminTokens: [TOKEN], rateLimitPackets: 1000, connectRateLimitMax: 10000 })
})

interface Seat {
  client: TestClient
  app: TestApp
  key: string
}

async function seat (url = server.wsUrl, clientId = 'device-0001', app?: TestApp): Promise<Seat> {
  app ??= await createApp(db.pool)
  const key = await createLicense(db.pool, app.id)
  const client = await TestClient.connect(url)
  assert.equal((await client.initialize(app.key, clientId)).status, 1)
  assert.equal((await client.authorize(key)).status, 1)
  return { client, app, key }
}

/** Drops the socket and waits until the server has suspended its session. */
async function dropped (client: TestClient, appId: number): Promise<void> {
  client.drop()
  await client.closed
  await waitFor(async () => (await suspendedUntil(appId)).length === 1)
}

async function suspendedUntil (appId: number): Promise<string[]> {
  const res = await call(server, 'GET', `/apps/${appId}/sessions`)
  return (res.body.items as { suspended_until: string | null }[]).flatMap(s => s.suspended_until ?? [])
}

describe('the Resume-Id header', () => {
  test('every accepted upgrade gets a fresh URL-safe token of at least 128 bits', async () => {
    const clients = await Promise.all(Array.from({ length: 20 }, () => TestClient.connect(server.wsUrl)))
    const ids = clients.map(c => c.resumeId)
    for (const id of ids) assert.match(String(id), /^[A-Za-z0-9_-]{24}$/)
    assert.equal(new Set(ids).size, ids.length)
    for (const c of clients) c.close()
  })

  test('RESUME_WINDOW_MS=0: no header, and a dropped session ends at once', async t => {
    const off = await startServer(t, db, { resumeWindowMs: 0 })
    const { client, app } = await seat(off.wsUrl)
    assert.equal(client.resumeId, undefined)
    client.drop()
    await waitFor(async () => await sessionRows(db.pool, app.id) === 0)
    assert.equal(await authorizedSessions(db.pool, app.id), 0)
    const retry = await TestClient.connect(off.wsUrl, { 'Resume-Id': 'A'.repeat(24) })
    assert.deepEqual(await retry.closed, NOT_FOUND)
  })
})

describe('resuming a dropped session', () => {
  test('authorization, values and subscription come back; the slot is held, never counted twice', async () => {
    const { client, app, key } = await seat()
    assert.deepEqual(await client.request(12, { key: 'theme', value: 'dark', ttl: 600 }), { id: 3, status: 1 })
    assert.deepEqual(await client.request(17, { subscribed: true }), { id: 4, status: 1 })
    await dropped(client, app.id)
    assert.equal(await authorizedSessions(db.pool, app.id), 1, 'the suspended session keeps its slot')
    assert.equal(await sessionRows(db.pool, app.id), 1)

    const back = await client.resume(server.wsUrl)
    assert.match(String(back.resumeId), /^[A-Za-z0-9_-]{24}$/)
    assert.notEqual(back.resumeId, client.resumeId)
    const current = await back.request(15)
    assert.equal(current.status, 1)
    assert.equal(current.id, 5)
    assert.deepEqual(await back.request(13, { key: 'theme' }), { id: 6, value: 'dark', status: 1 })
    assert.equal((await back.request(10)).online_users_count, 1)
    assert.deepEqual(await suspendedUntil(app.id), [])
    assert.equal(await authorizedSessions(db.pool, app.id), 1)

    // Still subscribed: an admin change reaches it as an event.
    assert.equal((await call(server, 'POST', `/apps/${app.id}/licenses/${key}/pause`)).status, 200)
    assert.deepEqual(await back.next(), { id: EVENT_ID, event_type: 205, content: {} })
    back.close()
  })

  test('a resent id that was answered before the drop gets that answer, without running again', async () => {
    const { client, app } = await seat()
    client.send(12, { key: 'k', value: 'first', ttl: 600 }, 3)
    assert.deepEqual(await client.next(), { id: 3, status: 1 })
    // Sent, and gone before its answer could be read.
    client.send(12, { key: 'k', value: 'second', ttl: 600 }, 4)
    await dropped(client, app.id)

    const back = await client.resume(server.wsUrl)
    // The same id again with other content: the stored answer, and the handler does not run.
    back.send(12, { key: 'k', value: 'third', ttl: 600 }, 4)
    assert.deepEqual(await back.next(), { id: 4, status: 1 })
    assert.equal(back.raw.at(-1), '{"id":4,"status":1}')
    back.send(13, { key: 'k' }, 5)
    assert.deepEqual(await back.next(), { id: 5, value: 'second', status: 1 })
    // An answer replays once: the same id again runs as a new packet.
    back.send(13, { key: 'k' }, 3)
    assert.deepEqual(await back.next(), { id: 3, status: 1 }, 'the stored answer of id 3 (a set), not a get')
    back.send(13, { key: 'k' }, 3)
    assert.deepEqual(await back.next(), { id: 3, value: 'second', status: 1 })
    back.close()
  })

  test('only the last 64 answers are kept', async () => {
    const { client, app } = await seat()
    // Answers to ids 1 (Initialize), 2 (Authorize), then 3…72 (type 10): 72 in all.
    for (let id = 3; id <= 72; id++) client.send(10, {}, id)
    for (let id = 3; id <= 72; id++) assert.equal((await client.next()).id, id)
    await dropped(client, app.id)
    const back = await client.resume(server.wsUrl)
    // Probed with type 15, whose own answer has no online_users_count.
    back.send(15, {}, 72)
    assert.deepEqual(await back.next(), { id: 72, online_users_count: 1, status: 1 }, 'the newest is kept')
    back.send(15, {}, 9)
    assert.deepEqual(await back.next(), { id: 9, online_users_count: 1, status: 1 }, 'the 64th newest is kept')
    back.send(15, {}, 8)
    const ran = await back.next()
    assert.equal(ran.id, 8)
    assert.equal(ran.status, 1)
    assert.ok(!('online_users_count' in ran), 'the 65th newest is gone: id 8 ran as type 15')
    back.close()
  })

  test('answers holding line feeds and record separators replay byte for byte, from a batch of suspensions', async () => {
    const app = await createApp(db.pool)
    const seats = await Promise.all(['device-a', 'device-b', 'device-c'].map(id => seat(server.wsUrl, id, app)))
    const awkward = ['line\nfeed', 'record\u001eseparator', '\\n\r\n\u001e"quoted"']
    const frames = await Promise.all(seats.map(async ({ client }, i) => {
      client.send(12, { key: 'k', value: awkward[i], ttl: 600 }, 3)
      assert.deepEqual(await client.next(), { id: 3, status: 1 })
      client.send(13, { key: 'k' }, 4)
      assert.deepEqual(await client.next(), { id: 4, value: awkward[i], status: 1 })
      return client.raw.at(-1)!
    }))
    // Dropped together: their suspensions go to the database in one statement or a few.
    for (const { client } of seats) client.drop()
    await Promise.all(seats.map(s => s.client.closed))
    await waitFor(async () => (await suspendedUntil(app.id)).length === 3)
    await Promise.all(seats.map(async ({ client }, i) => {
      const back = await client.resume(server.wsUrl)
      back.send(13, { key: 'other' }, 4)
      assert.deepEqual(await back.next(), { id: 4, value: awkward[i], status: 1 })
      assert.equal(back.raw.at(-1), frames[i])
      back.send(13, { key: 'other' }, 2)
      const authorized = await back.next()
      assert.deepEqual([authorized.id, authorized.license, authorized.status], [2, seats[i]!.key, 1], 'the Authorize answer replays too')
      back.close()
    }))
  })

  test('a session suspended by the previous version (answers inside the state) resumes with its answers', async () => {
    const { client, app } = await seat(server.wsUrl, 'device-old')
    await dropped(client, app.id)
    const id = await sessionIdOf(db.pool, app.id, 'device-old')
    await suspendAsOldVersion(db.pool, id, [[2, '{"id":2,"from":"state","status":1}']], '{"id":2,"from":"stale column","status":1}')
    const back = await client.resume(server.wsUrl)
    back.send(10, {}, 2)
    assert.equal((await back.next()) && back.raw.at(-1), '{"id":2,"from":"state","status":1}')
    back.send(10, {}, 1)
    assert.deepEqual(await back.next(), { id: 1, online_users_count: 1, status: 1 }, 'only what the state held replays')
    back.close()
  })

  test('a token is single use: of two sockets racing with it, exactly one resumes', async () => {
    const { client, app } = await seat()
    await dropped(client, app.id)
    const racers = await Promise.all([client.resume(server.wsUrl), client.resume(server.wsUrl), client.resume(server.wsUrl)])
    const outcomes = await Promise.all(racers.map(async c => {
      const winner = c.request(15).then(r => r.status, () => 'closed')
      return Promise.race([winner, c.closed.then(closed => closed)])
    }))
    const lost = outcomes.filter(o => typeof o === 'object')
    assert.equal(lost.length, 2, JSON.stringify(outcomes))
    for (const o of lost) assert.deepEqual(o, NOT_FOUND)
    assert.equal(outcomes.filter(o => o === 1).length, 1)
    assert.equal(await authorizedSessions(db.pool, app.id), 1)
    for (const c of racers) c.close()
  })

  test('a session that was never initialized, or closed by the client, cannot be resumed', async () => {
    const fresh = await TestClient.connect(server.wsUrl)
    fresh.drop()
    assert.deepEqual(await (await fresh.resume(server.wsUrl)).closed, NOT_FOUND)

    const { client, app } = await seat()
    await client.closeAndWait()
    await waitFor(async () => await sessionRows(db.pool, app.id) === 0)
    assert.deepEqual(await (await client.resume(server.wsUrl)).closed, NOT_FOUND)
    assert.equal(await authorizedSessions(db.pool, app.id), 0)
  })

  test('a server-initiated close is not resumable (4100 from the panel)', async () => {
    const { client, app } = await seat()
    const [row] = (await call(server, 'GET', `/apps/${app.id}/sessions`)).body.items as { id: string }[]
    assert.equal((await call(server, 'DELETE', `/apps/${app.id}/sessions/${row!.id}`)).status, 204)
    assert.equal((await client.closed).code, 4100)
    await waitFor(async () => await sessionRows(db.pool, app.id) === 0)
    assert.deepEqual(await (await client.resume(server.wsUrl)).closed, NOT_FOUND)
  })

  test('a client that comes back before the server noticed the drop takes its session over from the old socket', async () => {
    const { client, app } = await seat()
    assert.equal((await client.request(12, { key: 'k', value: 'v', ttl: 600 })).status, 1)
    // The old socket is still open as far as the server knows.
    const back = await client.resume(server.wsUrl)
    assert.equal((await client.closed).code, 1006, 'the old socket is cut')
    assert.deepEqual(await back.request(13, { key: 'k' }), { id: 4, value: 'v', status: 1 })
    assert.equal((await back.request(15)).status, 1)
    assert.equal(await authorizedSessions(db.pool, app.id), 1)
    assert.equal(await sessionRows(db.pool, app.id), 1)
    // Single use, in memory as in the database.
    assert.deepEqual(await (await client.resume(server.wsUrl)).closed, NOT_FOUND)
    back.close()
    await waitFor(async () => await sessionRows(db.pool, app.id) === 0)
    assert.equal(await authorizedSessions(db.pool, app.id), 0)
  })

  test('a close the server decided is final, even before the client has answered it', async () => {
    const { client, app } = await seat()
    // The client stops reading: the server's close frame sits unread, its socket open.
    ;(client.ws as unknown as { _socket: { pause: () => void } })._socket.pause()
    const [row] = (await call(server, 'GET', `/apps/${app.id}/sessions`)).body.items as { id: string }[]
    assert.equal((await call(server, 'DELETE', `/apps/${app.id}/sessions/${row!.id}`)).status, 204)
    await new Promise(resolve => setTimeout(resolve, 200))
    assert.deepEqual(await (await client.resume(server.wsUrl)).closed, NOT_FOUND)
    client.drop()
    await waitFor(async () => await sessionRows(db.pool, app.id) === 0)
    assert.equal(await authorizedSessions(db.pool, app.id), 0)
  })

  test('a resumed session keeps its rate bucket: dropping does not refill it', async t => {
    const strict = await startServer(t, db, { rateLimitPackets: 6, rateLimitWindowMs: 600_000 })
    const { client, app } = await seat(strict.wsUrl)
    await dropped(client, app.id)
    const back = await client.resume(strict.wsUrl)
    // Initialize and Authorize took 2 of 6 tokens: 4 more are answered, the 5th closes 4201.
    for (let i = 0; i < 5; i++) back.send(10)
    for (let i = 0; i < 4; i++) assert.equal((await back.next()).status, 1)
    assert.deepEqual(await back.closed, { code: 4201, reason: 'rate limit hit' })
  })

  test('unknown and malformed tokens are refused with 4401', async () => {
    for (const token of ['A'.repeat(24), 'short', 'x'.repeat(500), 'not/url+safe=====']) {
      const c = await TestClient.connect(server.wsUrl, { 'Resume-Id': token })
      assert.deepEqual(await c.closed, NOT_FOUND, token)
    }
  })

  test('packets sent right after the upgrade wait for the resume', async () => {
    const { client, app } = await seat()
    await dropped(client, app.id)
    const back = await client.resume(server.wsUrl)
    back.send(15)
    back.send(10)
    assert.equal((await back.next()).status, 1)
    assert.equal((await back.next()).online_users_count, 1)
    back.close()
  })
})

describe('while suspended', () => {
  test('the window ends: 4401, and the slot is freed exactly once', async t => {
    // The sweep that ends windows runs every third of the lease: here every 500 ms.
    const short = await startServer(t, db, { resumeWindowMs: 400, sessionLeaseMs: 1500 })
    const app = await createApp(db.pool, { sessionLimit: 1 })
    const { client } = await seat(short.wsUrl, 'device-0001', app)
    client.drop()
    await waitFor(async () => await sessionRows(db.pool, app.id) === 0, 15000)
    assert.equal(await authorizedSessions(db.pool, app.id), 0)
    assert.deepEqual(await (await client.resume(short.wsUrl)).closed, NOT_FOUND)
    // The one slot is free again, and only once: the counter agrees with the rows.
    const { client: next } = await seat(short.wsUrl, 'device-0002', app)
    assert.equal(await authorizedSessions(db.pool, app.id), 1)
    next.close()
  })

  test('the quota holds the slot: a new client gets 602 while the old one can come back', async () => {
    const app = await createApp(db.pool, { sessionLimit: 1 })
    const { client } = await seat(server.wsUrl, 'device-0001', app)
    await dropped(client, app.id)
    const other = await TestClient.connect(server.wsUrl)
    assert.equal((await other.initialize(app.key, 'device-0002')).status, 602)
    const back = await client.resume(server.wsUrl)
    assert.equal((await back.request(15)).status, 1)
    back.close()
    other.close()
  })

  test('the admin sees it with suspended_until and can end it', async () => {
    const { client, app } = await seat()
    await dropped(client, app.id)
    const [item] = (await call(server, 'GET', `/apps/${app.id}/sessions`)).body.items as { id: string, suspended_until: string }[]
    const left = Date.parse(item!.suspended_until) - Date.now()
    assert.ok(left > 50_000 && left <= 60_000, `window left: ${left} ms`)
    assert.equal((await call(server, 'DELETE', `/apps/${app.id}/sessions/${item!.id}`)).status, 204)
    assert.equal(await sessionRows(db.pool, app.id), 0)
    assert.equal(await authorizedSessions(db.pool, app.id), 0)
    assert.deepEqual(await (await client.resume(server.wsUrl)).closed, NOT_FOUND)
  })

  test('app paused or client_id blacklisted meanwhile: 4401, and the slot is freed', async () => {
    const paused = await seat()
    await dropped(paused.client, paused.app.id)
    assert.equal((await call(server, 'PATCH', `/apps/${paused.app.id}`, { paused: true })).status, 200)
    assert.deepEqual(await (await paused.client.resume(server.wsUrl)).closed, NOT_FOUND)
    assert.equal(await sessionRows(db.pool, paused.app.id), 0)
    assert.equal(await authorizedSessions(db.pool, paused.app.id), 0)

    const banned = await seat(server.wsUrl, 'device-bad1')
    await dropped(banned.client, banned.app.id)
    await blacklistClient(db.pool, banned.app.id, 'device-bad1')
    assert.deepEqual(await (await banned.client.resume(server.wsUrl)).closed, NOT_FOUND)
    assert.equal(await sessionRows(db.pool, banned.app.id), 0)
    assert.equal(await authorizedSessions(db.pool, banned.app.id), 0)
  })

  test('license deleted meanwhile: resumed without the authorization, event 204 pushed', async () => {
    const { client, app, key } = await seat()
    assert.deepEqual(await client.request(17, { subscribed: true }), { id: 3, status: 1 })
    await dropped(client, app.id)
    assert.equal((await call(server, 'DELETE', `/apps/${app.id}/licenses/${key}`)).status, 204)
    const back = await client.resume(server.wsUrl)
    assert.deepEqual(await back.next(), { id: EVENT_ID, event_type: 204, content: {} })
    assert.deepEqual(await back.request(15), { id: 4, status: 3 })
    assert.equal(await authorizedSessions(db.pool, app.id), 0)
    assert.equal(await sessionRows(db.pool, app.id), 1, 'still initialized')
    back.close()
  })

  test('app version changed and license deleted meanwhile: events 102 then 204 after the resume', async () => {
    const { client, app, key } = await seat()
    assert.deepEqual(await client.request(17, { subscribed: true }), { id: 3, status: 1 })
    await dropped(client, app.id)
    assert.equal((await call(server, 'PATCH', `/apps/${app.id}`, { version: '3.0.0' })).status, 200)
    assert.equal((await call(server, 'DELETE', `/apps/${app.id}/licenses/${key}`)).status, 204)
    const back = await client.resume(server.wsUrl)
    assert.deepEqual(await back.next(), { id: EVENT_ID, event_type: 102, content: { version: '3.0.0' } })
    assert.deepEqual(await back.next(), { id: EVENT_ID, event_type: 204, content: {} })
    assert.deepEqual(await back.request(15), { id: 4, status: 3 })
    // Once is enough: a second resume has nothing new to tell.
    await dropped(back, app.id)
    const again = await back.resume(server.wsUrl)
    assert.deepEqual(await again.request(10), { id: 5, online_users_count: 1, status: 1 })
    again.close()
  })
})

describe('a drain hands sessions over', () => {
  test('1001 to every client, which resumes on another instance without a 602', async t => {
    const leaving = await startServer(t, db, { connectRateLimitMax: 10000 })
    const staying = await startServer(t, db, { connectRateLimitMax: 10000 })
    const app = await createApp(db.pool, { sessionLimit: 30 })
    const seats = await Promise.all(Array.from({ length: 30 }, (_, i) => seat(leaving.wsUrl, `device-${1000 + i}`, app)))
    for (const s of seats) assert.equal((await s.client.request(12, { key: 'n', value: s.key, ttl: 600 })).status, 1)
    await leaving.close()
    for (const s of seats) assert.deepEqual(await s.client.closed, { code: 1001, reason: 'server going away' })
    assert.equal(await authorizedSessions(db.pool, app.id), 30)
    const resumed = await Promise.all(seats.map(s => s.client.resume(staying.wsUrl)))
    const values = await Promise.all(resumed.map(c => c.request(13, { key: 'n' })))
    assert.deepEqual(values.map(v => v.value), seats.map(s => s.key))
    assert.equal((await resumed[0]!.request(10)).online_users_count, 30)
    assert.equal(await authorizedSessions(db.pool, app.id), 30)
    for (const c of resumed) c.close()
    await waitFor(async () => await sessionRows(db.pool, app.id) === 0)
    assert.equal(await authorizedSessions(db.pool, app.id), 0)
  })
})
