import { before, test } from 'node:test'
import assert from 'node:assert/strict'
import { createLocalJWKSet, decodeProtectedHeader, jwtVerify, type JSONWebKeySet } from 'jose'
import { testDatabase, type TestDatabase } from '../helpers/database.js'
import { startServer, type TestServer } from '../helpers/server.js'
import { TestClient, waitFor } from '../helpers/client.js'
import { call, TOKEN } from '../helpers/admin.js'
import { createApp, createLicense, type TestApp } from '../helpers/fixtures.js'

// Signed leases on two instances sharing one real Postgres.
let db: TestDatabase
let a: TestServer
let b: TestServer

before(async t => {
  db = await testDatabase(t)
  assert.ok(db.real, 'these tests need DATABASE_URL')
  // Two instances starting together on a database without keys agree on one.
  await db.pool.query('DELETE FROM signing_keys')
  ;[a, b] = await Promise.all([startServer(t, db, { adminTokens: [TOKEN] }), startServer(t, db, { adminTokens: [TOKEN] })])
})

async function jwks (on: TestServer): Promise<JSONWebKeySet> {
  return await (await fetch(`${on.url}/.well-known/jwks.json`)).json() as JSONWebKeySet
}

async function verify (lease: unknown, app: TestApp, on: TestServer): Promise<string> {
  const { protectedHeader } = await jwtVerify(lease as string, createLocalJWKSet(await jwks(on)), { issuer: 'licensewire', audience: String(app.id) })
  return protectedHeader.kid!
}

const kidOf = (lease: unknown): string | undefined => decodeProtectedHeader(lease as string).kid

test('both instances start with one key between them and sign with it', async () => {
  const listed = (await call(a, 'GET', '/signing-keys')).body.items as { kid: string, retired_at: string | null }[]
  assert.equal(listed.length, 1)
  assert.equal(listed[0]!.retired_at, null)
  const app = await createApp(db.pool, { signedLeases: true })
  const leases = await Promise.all([a, b].map(async (on, i) => {
    const c = await TestClient.connect(on.wsUrl)
    await c.initialize(app.key, `start-device-${i}`)
    const answer = await c.authorize(await createLicense(db.pool, app.id))
    c.close()
    return answer.lease
  }))
  for (const lease of leases) assert.equal(kidOf(lease), listed[0]!.kid)
  assert.deepEqual((await jwks(a)).keys.map(k => k.kid), [listed[0]!.kid])
  assert.deepEqual((await jwks(b)).keys.map(k => k.kid), [listed[0]!.kid])
})

test('a rotation on one instance reaches the other without a restart; old leases still verify on both', async () => {
  const app = await createApp(db.pool, { signedLeases: true })
  const key = await createLicense(db.pool, app.id)
  const c = await TestClient.connect(b.wsUrl)
  await c.initialize(app.key, 'rotation-device')
  const old = (await c.authorize(key)).lease
  const oldKid = await verify(old, app, b)

  const rotated = await call(a, 'POST', '/signing-keys/rotate')
  assert.equal(rotated.status, 200)
  const newKid = rotated.body.kid as string
  assert.notEqual(newKid, oldKid)
  let lease: unknown
  await waitFor(async () => {
    lease = (await c.request(15)).lease
    return kidOf(lease) === newKid
  })
  for (const on of [a, b]) {
    assert.equal(await verify(lease, app, on), newKid)
    assert.equal(await verify(old, app, on), oldKid, 'the lease signed before the rotation')
  }
  // A new session on the rotating instance signs with the new key at once.
  const d = await TestClient.connect(a.wsUrl)
  await d.initialize(app.key, 'rotation-device-2')
  assert.equal(kidOf((await d.authorize(await createLicense(db.pool, app.id))).lease), newKid)
  c.close()
  d.close()
})

test('signed_leases turned off on one instance stops the leases of sessions on the other', async () => {
  const app = await createApp(db.pool, { signedLeases: true })
  const c = await TestClient.connect(b.wsUrl)
  await c.initialize(app.key, 'switch-device')
  assert.equal(typeof (await c.authorize(await createLicense(db.pool, app.id))).lease, 'string')
  assert.equal((await call(a, 'PATCH', `/apps/${app.id}`, { signed_leases: false })).status, 200)
  await waitFor(async () => !('lease' in await c.request(15)))
  assert.equal((await call(a, 'PATCH', `/apps/${app.id}`, { signed_leases: true })).status, 200)
  await waitFor(async () => 'lease' in await c.request(15))
  c.close()
})

test('a license changed through the other instance: the cached answer of type 15 gets a new lease', async () => {
  const app = await createApp(db.pool, { signedLeases: true })
  const key = await createLicense(db.pool, app.id, { levels: { tier: 'pro' } })
  const c = await TestClient.connect(b.wsUrl)
  await c.initialize(app.key, 'cached-device')
  await c.authorize(key)
  // Twice: the second answer comes from b's license cache.
  const cached = (await c.request(15)).lease
  assert.equal((await c.request(15)).lease, cached)
  assert.equal((await call(a, 'PATCH', `/apps/${app.id}/licenses/${key}`, { levels: { tier: 'team' } })).status, 200)
  let lease: unknown
  await waitFor(async () => { lease = (await c.request(15)).lease; return lease !== cached })
  const { payload } = await jwtVerify(lease as string, createLocalJWKSet(await jwks(a)), { audience: String(app.id) })
  assert.deepEqual(payload.levels, { tier: 'team' })
  c.close()
})
