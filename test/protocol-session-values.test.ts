import { before, beforeEach, describe, test } from 'node:test'
import assert from 'node:assert/strict'
import { testDatabase, type TestDatabase } from './helpers/database.js'
import { startServer, type TestServer } from './helpers/server.js'
import { TestClient } from './helpers/client.js'
import { createApp, type TestApp } from './helpers/fixtures.js'

// Types 12, 13, 14: a session's own key/value store, in memory.
let db: TestDatabase
let server: TestServer
let app: TestApp
/** Handlers read the time through ctx.now(): moving it ahead stands in for waiting. */
let offset = 0
const HOUR = 3600 * 1000

before(async t => {
  db = await testDatabase(t)
  server = await startServer(t, db, { rateLimitPackets: 10000 })
  server.app.licensewireHub.ctx.now = () => Date.now() + offset
  app = await createApp(db.pool)
})
beforeEach(() => { offset = 0 })

async function session (clientId = 'device-0001'): Promise<TestClient> {
  const c = await TestClient.connect(server.wsUrl)
  assert.equal((await c.initialize(app.key, clientId)).status, 1)
  return c
}

const set = (c: TestClient, key: string, value: string, ttl = 3600) => c.request(12, { key, value, ttl }).then(r => r.status)
const get = (c: TestClient, key: string) => c.request(13, { key })

describe('set, get, delete', () => {
  test('every status with its exact fields', async () => {
    const c = await session()
    assert.deepEqual(await c.request(12, { key: 'theme', value: 'dark', ttl: 60 }), { id: 2, status: 1 })
    assert.deepEqual(await c.request(13, { key: 'theme' }), { id: 3, value: 'dark', status: 1 })
    assert.equal(c.raw.at(-1), '{"id":3,"value":"dark","status":1}')
    assert.deepEqual(await c.request(13, { key: 'nothing' }), { id: 4, status: 700 })
    assert.deepEqual(await c.request(14, { key: 'theme' }), { id: 5, status: 1 })
    assert.deepEqual(await c.request(14, { key: 'theme' }), { id: 6, status: 700 })
    assert.deepEqual(await c.request(13, { key: 'theme' }), { id: 7, status: 700 })
    c.close()
  })

  test('values come back exactly as set, and a write replaces the value', async () => {
    const c = await session()
    const values = ['{"a":[1,2,{"b":"c"}]}', 'quote " backslash \\ slash /', 'línea\nnueva\tτab', '😀 € é ☾', '', ' ']
    for (const [i, value] of values.entries()) assert.equal(await set(c, `key ${i} ключ`, value), 1)
    for (const [i, value] of values.entries()) assert.deepEqual((await get(c, `key ${i} ключ`)).value, value)
    assert.equal(await set(c, 'key 0 ключ', 'replaced'), 1)
    assert.equal((await get(c, 'key 0 ключ')).value, 'replaced')
    assert.equal(await set(c, '', 'empty key'), 1)
    assert.equal((await get(c, '')).value, 'empty key')
    c.close()
  })

  test('a store belongs to one session and ends with it', async () => {
    const a = await session('device-0001')
    const b = await session('device-0001')
    assert.equal(await set(a, 'shared?', 'no'), 1)
    assert.equal((await get(b, 'shared?')).status, 700)
    assert.equal((await b.request(14, { key: 'shared?' })).status, 700)
    assert.equal((await get(a, 'shared?')).value, 'no')
    await a.closeAndWait()
    const again = await session('device-0001')
    assert.equal((await get(again, 'shared?')).status, 700)
    b.close()
    again.close()
  })
})

describe('limits', () => {
  test('64 live entries: a 65th key answers 702 and changes nothing; overwriting and deleting still work', async () => {
    const c = await session()
    for (let i = 0; i < 64; i++) assert.equal(await set(c, `k${i}`, `v${i}`), 1, `entry ${i}`)
    assert.deepEqual(await c.request(12, { key: 'k64', value: 'one too many', ttl: 60 }), { id: 66, status: 702 })
    assert.equal((await get(c, 'k64')).status, 700)
    assert.equal(await set(c, 'k63', 'overwritten'), 1, 'an existing key is not a new entry')
    assert.equal((await get(c, 'k63')).value, 'overwritten')
    for (let i = 0; i < 63; i++) assert.equal((await get(c, `k${i}`)).value, `v${i}`)
    assert.equal((await c.request(14, { key: 'k0' })).status, 1)
    assert.equal(await set(c, 'k64', 'fits now'), 1)
    assert.equal(await set(c, 'k65', 'full again'), 702)
    c.close()
  })

  test('16,384 bytes of UTF-8 keys plus values: multi-byte characters count as bytes; a refused write keeps the old value', async () => {
    const c = await session()
    // 'é' is 2 bytes in UTF-8 (1 UTF-16 unit), '€' 3 (1 unit), '😀' 4 (2 units).
    const e2000 = 'é'.repeat(2000)
    for (const key of ['a', 'b', 'c']) assert.equal(await set(c, key, e2000), 1) // 3 × 4,001 bytes
    const rest = 16384 - 3 * 4001 - 1 // what key 'd' leaves for its value: 4,380 bytes
    assert.equal(await set(c, 'd', '€'.repeat(rest / 3)), 1, 'exactly 16,384 bytes')
    assert.deepEqual(await c.request(12, { key: 'e', value: '', ttl: 60 }), { id: 6, status: 701 })
    assert.equal((await get(c, 'e')).status, 700)

    assert.equal(await set(c, 'd', '€'.repeat(rest / 3) + 'x'), 701, 'an overwrite one byte over')
    assert.equal((await get(c, 'd')).value, '€'.repeat(rest / 3), 'the old value stays')
    assert.equal(await set(c, 'd', '😀'.repeat(rest / 4)), 1, 'the same bytes in 4-byte characters')
    assert.equal((await get(c, 'd')).value, '😀'.repeat(rest / 4))

    // Keys count too.
    assert.equal((await c.request(14, { key: 'a' })).status, 1)
    assert.equal(await set(c, e2000 + 'é', ''), 701, 'a 4,002-byte key')
    assert.equal(await set(c, e2000, 'x'), 1, 'a 4,000-byte key and a 1-byte value')
    assert.equal(await set(c, 'z', ''), 701)
    assert.equal(await set(c, 'd', '😀'.repeat(rest / 4 - 1)), 1, 'a smaller value frees bytes')
    assert.equal(await set(c, 'z', 'zzz'), 1)
    assert.equal(await set(c, 'y', ''), 701)
    c.close()
  })
})

describe('time to live', () => {
  test('an entry answers until its TTL is up, then neither answers nor can be deleted', async () => {
    const c = await session()
    assert.equal(await set(c, 'short', 'lived', 10), 1)
    offset = 9000
    assert.equal((await get(c, 'short')).value, 'lived')
    offset = 10_000
    assert.deepEqual(await get(c, 'short'), { id: 4, status: 700 })
    assert.deepEqual(await c.request(14, { key: 'short' }), { id: 5, status: 700 })
    c.close()
  })

  test('a short TTL runs out on the real clock too', async () => {
    const c = await session()
    assert.equal(await set(c, 'blink', 'now you see me', 1), 1)
    assert.equal((await get(c, 'blink')).value, 'now you see me')
    await new Promise(resolve => setTimeout(resolve, 1100))
    assert.equal((await get(c, 'blink')).status, 700)
    c.close()
  })

  test('a TTL of 0 or less means 72 hours, and a longer one is cut to 72 hours', async () => {
    const c = await session()
    for (const [key, ttl] of [['zero', 0], ['negative', -1], ['cap', 72 * 3600], ['over', 72 * 3600 + 1], ['huge', 2 ** 53 - 1]] as const) {
      assert.equal(await set(c, key, 'v', ttl), 1, key)
    }
    assert.equal(await set(c, 'day', 'v', 24 * 3600), 1)
    offset = 24 * HOUR
    assert.equal((await get(c, 'day')).status, 700)
    offset = 72 * HOUR - 1000
    for (const key of ['zero', 'negative', 'cap', 'over', 'huge']) assert.equal((await get(c, key)).value, 'v', key)
    offset = 72 * HOUR
    for (const key of ['zero', 'negative', 'cap', 'over', 'huge']) assert.equal((await get(c, key)).status, 700, key)
    c.close()
  })

  test('overwriting restarts the TTL; reading does not extend it', async () => {
    const c = await session()
    assert.equal(await set(c, 'rewritten', 'one', 10), 1)
    assert.equal(await set(c, 'read', 'r', 10), 1)
    offset = 8000
    assert.equal(await set(c, 'rewritten', 'two', 10), 1)
    assert.equal((await get(c, 'read')).value, 'r')
    offset = 10_000
    assert.equal((await get(c, 'read')).status, 700)
    assert.equal((await get(c, 'rewritten')).value, 'two')
    offset = 18_000
    assert.equal((await get(c, 'rewritten')).status, 700)
    c.close()
  })

  test('expired entries count neither toward 64 entries nor toward 16,384 bytes', async () => {
    const c = await session()
    for (let i = 0; i < 64; i++) assert.equal(await set(c, `old${i}`, 'x', 5), 1)
    assert.equal(await set(c, 'new0', 'x', 5), 702)
    offset = 5000
    for (let i = 0; i < 64; i++) assert.equal(await set(c, `new${i}`, 'é'.repeat(100), 5), 1, `new entry ${i}`)
    offset = 10_000
    const big = 'é'.repeat(4000) // 8,000 bytes
    assert.equal(await set(c, 'big1', big), 1)
    assert.equal(await set(c, 'big2', big), 1)
    assert.equal(await set(c, 'big3', big), 701)
    assert.equal(await set(c, 'small', 'x', 1), 1)
    offset = 11_000
    // 16,008 bytes live; 'tiny' and its value take 372 of the 376 left, 370 had 'small' stayed.
    assert.equal(await set(c, 'tiny', 'é'.repeat(184)), 1, 'the expired entry gave its bytes back')
    c.close()
  })
})

describe('guards', () => {
  test('before Initialize: close 4200', async () => {
    for (const [type, fields] of [[12, { key: 'a', value: 'b', ttl: 1 }], [13, { key: 'a' }], [14, { key: 'a' }]] as const) {
      const c = await TestClient.connect(server.wsUrl)
      c.send(type, fields)
      assert.deepEqual(await c.closed, { code: 4200, reason: 'connection is not initialized' })
    }
  })

  test('fields of the wrong type, missing, or holding NUL: close 4302', async () => {
    const cases: [number, Record<string, unknown>][] = [
      [12, { key: 'a', value: 'b', ttl: 1.5 }],
      [12, { key: 'a', value: 'b', ttl: '10' }],
      [12, { key: 'a', value: 'b' }],
      [12, { key: 'a', value: 5, ttl: 1 }],
      [12, { key: null, value: 'b', ttl: 1 }],
      [12, { key: 'a', value: 'b\u0000c', ttl: 1 }],
      [13, {}],
      [13, { key: 1 }],
      [14, { key: ['a'] }]
    ]
    for (const [type, fields] of cases) {
      const c = await session()
      c.send(type, fields)
      assert.deepEqual(await c.closed, { code: 4302, reason: 'invalid request body' }, JSON.stringify(fields))
    }
  })
})
