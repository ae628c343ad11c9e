import { before, describe, test } from 'node:test'
import assert from 'node:assert/strict'
import { createPrivateKey, generateKeyPairSync } from 'node:crypto'
import {
  calculateJwkThumbprint, createLocalJWKSet, decodeProtectedHeader, importJWK, jwtVerify, SignJWT,
  type JSONWebKeySet, type JWTPayload
} from 'jose'
import { testDatabase, type TestDatabase } from './helpers/database.js'
import { startServer, type TestServer } from './helpers/server.js'
import { TestClient, waitFor } from './helpers/client.js'
import { call, TOKEN, type Answer } from './helpers/admin.js'
import { createAccount, createApp, createLicense, licenseRow, PASSWORD, sessionIdOf, storedPrivateKeys, type TestApp } from './helpers/fixtures.js'
import { loadConfig } from '../src/config.js'
import { Leases, type LeaseSubject } from '../src/leases/lease.js'
import type { LeaseKeys, Signer } from '../src/leases/keys.js'
import type { InitializedSession } from '../src/session/state.js'

let db: TestDatabase
let server: TestServer
/** Every log line of `server`, at trace level. */
const logs: string[] = []
/** Every admin answer the tests saw, as text. */
const answers: string[] = []
/** Every private key the server generated, kept before a rotation clears it from the database. */
const generated = new Set<string>()
const noteKeys = async (): Promise<void> => { for (const pem of await storedPrivateKeys(db.pool)) generated.add(pem) }

before(async t => {
  db = await testDatabase(t)
  server = await startServer(t, db, { adminTokens: [TOKEN] }, { logger: { level: 'trace', stream: { write: (line: string) => { logs.push(line) } } } })
  await noteKeys()
})

async function admin (method: string, path: string, body?: unknown, on = server): Promise<Answer> {
  const answer = await call(on, method, path, body)
  answers.push(JSON.stringify(answer.body ?? null))
  return answer
}

async function jwks (on = server): Promise<JSONWebKeySet> {
  const res = await fetch(`${on.url}/.well-known/jwks.json`)
  assert.equal(res.status, 200)
  return await res.json() as JSONWebKeySet
}

/** An independent check: jose against the key set the server publishes. */
async function verify (lease: unknown, appId: number, on = server, issuer = 'licensewire'): Promise<{ payload: JWTPayload, kid: string }> {
  assert.equal(typeof lease, 'string', 'a lease')
  const { payload, protectedHeader } = await jwtVerify(lease as string, createLocalJWKSet(await jwks(on)), {
    issuer, audience: String(appId), typ: 'lw-lease+jwt', algorithms: ['EdDSA']
  })
  assert.equal(protectedHeader.alg, 'EdDSA')
  return { payload, kid: protectedHeader.kid! }
}

async function authorized (app: TestApp, clientId: string, license: string, fields: Record<string, unknown> = {}, on = server): Promise<{ c: TestClient, answer: Record<string, unknown> }> {
  const c = await TestClient.connect(on.wsUrl)
  assert.equal((await c.initialize(app.key, clientId)).status, 1)
  const answer = await c.request(2, { license, ...fields })
  assert.equal(answer.status, 1, JSON.stringify(answer))
  return { c, answer }
}

const last = (c: TestClient): string => c.raw[c.raw.length - 1]!
const now = (): number => Math.floor(Date.now() / 1000)

describe('signed leases on the wire', () => {
  test('the Ok of type 2 carries a lease before status; jose verifies it against the JWKS with every claim', async () => {
    const app = await createApp(db.pool, { signedLeases: true })
    const key = await createLicense(db.pool, app.id, { durationSeconds: 30 * 86400, levels: { tier: 'pro', seats: 3 } })
    const { c, answer } = await authorized(app, 'lease-device-1', key)
    assert.deepEqual(Object.keys(JSON.parse(last(c))), ['id', 'license', 'levels', 'comment', 'ip_address', 'time_left', 'lease', 'status'])
    const { payload, kid } = await verify(answer.lease, app.id)
    assert.deepEqual(Object.keys(payload), ['iss', 'aud', 'sid', 'client_id', 'license', 'levels', 'iat', 'exp'])
    assert.ok(Math.abs(payload.iat! - now()) <= 5, `iat ${payload.iat}`)
    assert.deepEqual(payload, {
      iss: 'licensewire',
      aud: String(app.id),
      sid: await sessionIdOf(db.pool, app.id, 'lease-device-1'),
      client_id: 'lease-device-1',
      license: key,
      levels: { tier: 'pro', seats: 3 },
      iat: payload.iat,
      exp: payload.iat! + 86400
    })
    assert.deepEqual(decodeProtectedHeader(answer.lease as string), { alg: 'EdDSA', kid, typ: 'lw-lease+jwt' })
    assert.ok((await jwks()).keys.some(k => k.kid === kid))

    // Type 15 right after: the same claims, so the same lease, handed out again.
    const current = await c.request(15)
    assert.equal(current.status, 1)
    assert.deepEqual(Object.keys(JSON.parse(last(c))), ['id', 'license', 'levels', 'comment', 'ip_address', 'time_left', 'lease', 'status'])
    assert.equal(current.lease, answer.lease)
    c.close()
  })

  test('exp never lies beyond the license expiry', async () => {
    const app = await createApp(db.pool, { signedLeases: true })
    const key = await createLicense(db.pool, app.id, { activatedAgo: 100, expiresIn: 600, clientId: 'lease-device-2' })
    const expiry = Math.floor((await licenseRow(db.pool, app.id, key))!.expires_epoch as number)
    const { c, answer } = await authorized(app, 'lease-device-2', key)
    assert.equal((await verify(answer.lease, app.id)).payload.exp, expiry)
    assert.equal((await verify((await c.request(15, { nonce: 'n' })).lease, app.id)).payload.exp, expiry)
    c.close()
  })

  test('a nonce is echoed, a new nonce gets a new lease, a bad one closes 4302', async () => {
    const app = await createApp(db.pool, { signedLeases: true })
    const [k1, k2, k3] = await Promise.all([1, 2, 3].map(() => createLicense(db.pool, app.id)))
    const { c, answer } = await authorized(app, 'lease-device-3', k1!, { nonce: 'first' })
    assert.equal((await verify(answer.lease, app.id)).payload.nonce, 'first')
    const second = await c.request(15, { nonce: 'second' })
    assert.equal((await verify(second.lease, app.id)).payload.nonce, 'second')
    const again = await c.request(15, { nonce: 'second' })
    assert.equal(again.lease, second.lease)
    const none = await c.request(15)
    assert.equal((await verify(none.lease, app.id)).payload.nonce, undefined)
    const longest = 'ü'.repeat(128)
    assert.equal((await verify((await c.request(15, { nonce: longest })).lease, app.id)).payload.nonce, longest)

    c.send(15, { nonce: 'x'.repeat(129) })
    assert.deepEqual(await c.closed, { code: 4302, reason: 'invalid request body' })
    // A lone surrogate is no character: Postgres would not keep it, and a lease must not carry it.
    for (const [clientId, license, nonce] of [['lease-device-4', k2, 5], ['lease-device-5', k3, null], ['lease-device-6', k2, 'n\ud800']] as const) {
      const d = await TestClient.connect(server.wsUrl)
      await d.initialize(app.key, clientId)
      d.send(2, { license, nonce })
      // An answer instead of the close fails at once rather than waiting forever.
      assert.deepEqual(await Promise.race([d.closed, d.next().then(answer => ({ answer }))]), { code: 4302, reason: 'invalid request body' })
    }
  })

  test('a tampered lease, a lease of another app and a lease from a fake server all fail', async () => {
    const app = await createApp(db.pool, { signedLeases: true })
    const other = await createApp(db.pool, { signedLeases: true })
    const key = await createLicense(db.pool, app.id, { levels: { tier: 'basic' } })
    const { c, answer } = await authorized(app, 'lease-device-6', key)
    const lease = answer.lease as string
    const { kid } = await verify(lease, app.id)

    const [header, payload, signature] = lease.split('.')
    const claims = JSON.parse(Buffer.from(payload!, 'base64url').toString()) as Record<string, unknown>
    const raised = Buffer.from(JSON.stringify({ ...claims, levels: { tier: 'enterprise' } })).toString('base64url')
    await assert.rejects(verify(`${header}.${raised}.${signature}`, app.id), { code: 'ERR_JWS_SIGNATURE_VERIFICATION_FAILED' })

    await assert.rejects(verify(lease, other.id), { code: 'ERR_JWT_CLAIM_VALIDATION_FAILED', claim: 'aud' })

    const { privateKey } = generateKeyPairSync('ed25519')
    const forged = await new SignJWT(claims).setProtectedHeader({ alg: 'EdDSA', kid, typ: 'lw-lease+jwt' }).sign(privateKey)
    await assert.rejects(verify(forged, app.id), { code: 'ERR_JWS_SIGNATURE_VERIFICATION_FAILED' })
    c.close()
  })

  test('a changed claim gets a new lease at once', async () => {
    const app = await createApp(db.pool, { signedLeases: true })
    const key = await createLicense(db.pool, app.id)
    const { c, answer } = await authorized(app, 'lease-device-7', key)
    assert.equal((await admin('PATCH', `/apps/${app.id}/licenses/${key}`, { levels: { tier: 'max' } })).status, 200)
    let lease: unknown
    // On a real Postgres the license cache hears of the change a moment later.
    await waitFor(async () => {
      lease = (await c.request(15)).lease
      return lease !== answer.lease
    })
    assert.deepEqual((await verify(lease, app.id)).payload.levels, { tier: 'max' })
    c.close()
  })

  test('off: answers are the text they always were, and a nonce of any kind is ignored', async () => {
    const app = await createApp(db.pool)
    const key = await createLicense(db.pool, app.id, { levels: { tier: 'pro' }, comment: 'main seat' })
    const c = await TestClient.connect(server.wsUrl)
    await c.initialize(app.key, 'lease-device-8')
    c.send(2, { license: key, nonce: 'x'.repeat(500) }, 2)
    await c.next()
    const expiry = Math.floor((await licenseRow(db.pool, app.id, key))!.expires_epoch as number)
    assert.equal(last(c), `{"id":2,"license":"${key}","levels":{"tier":"pro"},"comment":"main seat","ip_address":"127.0.0.1","time_left":${expiry},"status":1}`)
    c.send(15, { nonce: 5 }, 3)
    const current = await c.next()
    assert.equal(last(c), `{"id":3,"license":"${key}","levels":{"tier":"pro"},"comment":"main seat","ip_address":"127.0.0.1","time_left":${current.time_left as number},"status":1}`)
    c.close()
  })

  test('turning signed_leases on and off through the admin API reaches live sessions', async () => {
    const created = await admin('POST', '/apps', { name: 'Leased later' })
    assert.equal(created.body.signed_leases, false)
    const app = { id: created.body.id as number, key: created.body.websocket_api_key as string }
    const key = await createLicense(db.pool, app.id)
    const { c, answer } = await authorized(app, 'lease-device-9', key)
    assert.equal(answer.lease, undefined)

    const on = await admin('PATCH', `/apps/${app.id}`, { signed_leases: true })
    assert.equal(on.body.signed_leases, true)
    let lease: unknown
    await waitFor(async () => { lease = (await c.request(15)).lease; return lease !== undefined })
    await verify(lease, app.id)

    assert.equal((await admin('PATCH', `/apps/${app.id}`, { signed_leases: false })).body.signed_leases, false)
    await waitFor(async () => !('lease' in await c.request(15)))
    c.close()
  })
})

describe('signed leases of account sessions (types 3 and 16)', () => {
  async function signedIn (app: TestApp, login: string, clientId: string, fields: Record<string, unknown> = {}): Promise<{ c: TestClient, answer: Record<string, unknown> }> {
    const c = await TestClient.connect(server.wsUrl)
    assert.equal((await c.initialize(app.key, clientId)).status, 1)
    const answer = await c.request(3, { login, password: PASSWORD, credentials_type: 0, ...fields })
    assert.equal(answer.status, 1, JSON.stringify(answer))
    return { c, answer }
  }

  test('the lease names the login and the covering license, exp bound by the coverage', async () => {
    const app = await createApp(db.pool, { signedLeases: true })
    const early = await createLicense(db.pool, app.id, { activatedAgo: 10, expiresIn: 900, levels: { tier: 'basic' } })
    const late = await createLicense(db.pool, app.id, { activatedAgo: 10, expiresIn: 1800, levels: { tier: 'pro' } })
    const { login } = await createAccount(db.pool, app.id, { licenses: [early, late] })
    const { c, answer } = await signedIn(app, login, 'account-device-1', { nonce: 'acc-1' })
    assert.deepEqual(Object.keys(JSON.parse(last(c))).slice(-3), ['license_required', 'lease', 'status'])
    const { payload } = await verify(answer.lease, app.id)
    assert.deepEqual(Object.keys(payload), ['iss', 'aud', 'sid', 'client_id', 'login', 'license', 'levels', 'iat', 'exp', 'nonce'])
    const expiry = Math.floor((await licenseRow(db.pool, app.id, late))!.expires_epoch as number)
    assert.deepEqual(payload, {
      iss: 'licensewire',
      aud: String(app.id),
      sid: await sessionIdOf(db.pool, app.id, 'account-device-1'),
      client_id: 'account-device-1',
      login,
      license: late,
      levels: { tier: 'pro' },
      iat: payload.iat,
      exp: expiry,
      nonce: 'acc-1'
    })

    const current = await c.request(16)
    assert.equal(current.status, 1)
    const again = await verify(current.lease, app.id)
    assert.equal(again.payload.nonce, undefined)
    assert.equal(again.payload.license, late)
    assert.equal(again.payload.exp, expiry)
    assert.equal((await c.request(16)).lease, current.lease, 'unchanged claims: the same lease')
    c.send(16, { nonce: ['x'] })
    assert.equal((await c.closed).code, 4302)
  })

  test('an account that needs no license and has none: a lease with the login only, bound by the lifetime', async () => {
    const app = await createApp(db.pool, { signedLeases: true })
    const { login } = await createAccount(db.pool, app.id, { requiresLicense: false })
    const { c, answer } = await signedIn(app, login, 'account-device-2')
    const { payload } = await verify(answer.lease, app.id)
    assert.equal(payload.login, login)
    assert.equal('license' in payload, false)
    assert.deepEqual(payload.levels, {})
    assert.equal(payload.exp, payload.iat! + 86400)
    c.close()
  })

  test('off: account answers carry no lease, and a nonce is ignored', async () => {
    const app = await createApp(db.pool)
    const key = await createLicense(db.pool, app.id, { activatedAgo: 10, expiresIn: 900 })
    const { login } = await createAccount(db.pool, app.id, { licenses: [key] })
    const { c, answer } = await signedIn(app, login, 'account-device-3', { nonce: 7 })
    assert.equal('lease' in answer, false)
    assert.equal('lease' in await c.request(16, { nonce: 'x'.repeat(300) }), false)
    c.close()
  })
})

describe('signing keys', () => {
  test('the JWKS needs no token, may be cached, and lists public keys only', async () => {
    const res = await fetch(`${server.url}/.well-known/jwks.json`)
    assert.equal(res.status, 200)
    assert.match(res.headers.get('cache-control') ?? '', /^public, max-age=\d+$/)
    const set = await res.json() as JSONWebKeySet
    assert.ok(set.keys.length >= 1)
    for (const key of set.keys) {
      assert.deepEqual(Object.keys(key).sort(), ['alg', 'crv', 'kid', 'kty', 'use', 'x'])
      assert.deepEqual([key.kty, key.crv, key.alg, key.use], ['OKP', 'Ed25519', 'EdDSA', 'sig'])
      assert.equal(key.kid, await calculateJwkThumbprint(key))
    }
    const listed = await admin('GET', '/signing-keys')
    assert.equal(listed.status, 200)
    const current = listed.body.items.filter((k: { retired_at: unknown }) => k.retired_at === null)
    assert.equal(current.length, 1)
    assert.deepEqual(Object.keys(current[0]), ['kid', 'created_at', 'retired_at'])
    assert.ok(set.keys.some(k => k.kid === current[0].kid))
  })

  test('rotation: new leases carry the new kid, old leases still verify, the retired key leaves the JWKS after the leases it signed', async () => {
    const app = await createApp(db.pool, { signedLeases: true })
    const key = await createLicense(db.pool, app.id)
    const { c, answer } = await authorized(app, 'lease-device-10', key)
    const before = await verify(answer.lease, app.id)

    const rotated = await admin('POST', '/signing-keys/rotate')
    assert.equal(rotated.status, 200)
    assert.deepEqual(Object.keys(rotated.body), ['kid', 'created_at'])
    assert.notEqual(rotated.body.kid, before.kid)
    const listed = (await admin('GET', '/signing-keys')).body.items as { kid: string, retired_at: string | null }[]
    assert.equal(listed[0]!.kid, rotated.body.kid)
    assert.equal(listed[0]!.retired_at, null)
    assert.notEqual(listed.find(k => k.kid === before.kid)?.retired_at, null)
    assert.deepEqual((await storedPrivateKeys(db.pool)).length, 1, 'a retired key keeps no private part')
    await noteKeys()

    const after = await verify((await c.request(15)).lease, app.id)
    assert.equal(after.kid, rotated.body.kid)
    assert.deepEqual((await verify(answer.lease, app.id)).kid, before.kid, 'the old lease still verifies')

    const kids = (ms: number): (string | undefined)[] => server.app.licensewireLeases.jwks(ms).keys.map(k => k.kid)
    assert.ok(kids(Date.now()).includes(before.kid))
    const pastEveryLease = Date.now() + (86400 + 600) * 1000
    assert.ok(!kids(pastEveryLease).includes(before.kid))
    assert.ok(kids(pastEveryLease).includes(rotated.body.kid))
    c.close()
  })

  test('LEASE_SIGNING_KEY: leases are signed with it, its kid is its thumbprint, the API does not rotate it', async t => {
    const { privateKey, publicKey } = generateKeyPairSync('ed25519')
    const pem = privateKey.export({ format: 'pem', type: 'pkcs8' }) as string
    const own: string[] = []
    const custom = await startServer(t, db, { adminTokens: [TOKEN], leaseSigningKey: pem, leaseTtlS: 120, leaseIssuer: 'acme' },
      { logger: { level: 'trace', stream: { write: (line: string) => { own.push(line) } } } })
    const app = await createApp(db.pool, { signedLeases: true })
    const key = await createLicense(db.pool, app.id)
    const { c, answer } = await authorized(app, 'lease-device-11', key, {}, custom)
    const jwk = publicKey.export({ format: 'jwk' })
    const { payload, protectedHeader } = await jwtVerify(answer.lease as string, await importJWK({ ...jwk, alg: 'EdDSA' }),
      { issuer: 'acme', audience: String(app.id) })
    assert.equal(protectedHeader.kid, await calculateJwkThumbprint(jwk))
    assert.equal(payload.exp, payload.iat! + 120)
    await verify(answer.lease, app.id, custom, 'acme')
    assert.equal((await admin('POST', '/signing-keys/rotate', undefined, custom)).status, 409)
    c.close()
    assert.ok(own.length > 0)
    assertNoSecret(pem, own.join('\n'), 'logs')
    assertNoSecret(pem, answers.join('\n'), 'admin answers')
    assert.deepEqual(await storedPrivateKeys(db.pool), [], 'the key from the environment is not stored')
  })

  test('a LEASE_SIGNING_KEY that is not an Ed25519 PKCS#8 key stops the start, without quoting it', async t => {
    const rsa = generateKeyPairSync('rsa', { modulusLength: 2048 }).privateKey.export({ format: 'pem', type: 'pkcs8' }) as string
    for (const [key, message] of [['-----BEGIN PRIVATE KEY-----\nnot a key\n-----END PRIVATE KEY-----', /PKCS#8/], [rsa, /Ed25519/]] as const) {
      await assert.rejects(startServer(t, db, { leaseSigningKey: key }), (err: Error) => {
        assert.match(err.message, /leaseSigningKey/)
        assert.match(err.message, message)
        assert.ok(!err.message.includes('not a key') && !err.message.includes(rsa.split('\n')[1]!))
        return true
      })
    }
  })

  test('the environment reaches the options: a PEM with \\n escapes, the TTL and the issuer', () => {
    const pem = generateKeyPairSync('ed25519').privateKey.export({ format: 'pem', type: 'pkcs8' }) as string
    const { plugin } = loadConfig({ LEASE_SIGNING_KEY: pem.replace(/\n/g, '\\n'), LEASE_TTL_S: '3600', LEASE_ISSUER: 'acme' })
    assert.equal(plugin.leaseSigningKey, pem.trim())
    assert.equal(plugin.leaseTtlS, 3600)
    assert.equal(plugin.leaseIssuer, 'acme')
    assert.deepEqual(Object.keys(loadConfig({}).plugin).filter(k => k.startsWith('lease')), [])
  })

  test('nothing of a generated private key is in the logs or in any admin answer', async () => {
    await admin('GET', '/admin/openapi.json')
    assert.equal(generated.size, 2, 'the first key and the rotated one')
    assert.ok(logs.length > 0 && answers.length > 5)
    for (const pem of generated) {
      assertNoSecret(pem, logs.join('\n'), 'logs')
      assertNoSecret(pem, answers.join('\n'), 'admin answers')
    }
  })
})

/** Neither the PEM's base64 body (or a good part of it) nor the JWK `d` appears in `text`. */
function assertNoSecret (pem: string, text: string, where: string): void {
  const body = pem.replace(/-----[^-]+-----/g, '').replace(/\s/g, '')
  const d = createPrivateKey(pem).export({ format: 'jwk' }).d!
  for (const secret of [body, body.slice(-24), d, Buffer.from(d, 'base64url').toString('hex')]) {
    assert.ok(!text.includes(secret), `a private key in the ${where}`)
  }
}

describe('the lease cache of a session', () => {
  let signed = 0
  let kid = 'k1'
  const signer = (): Signer => ({ kid, sign: claims => `${kid}.${++signed}.${JSON.stringify(claims)}` })
  const keys = { current: signer } as unknown as LeaseKeys
  const session = { id: 'sid-1', clientId: 'device-1', app: { id: 3, name: 'A', version: '1', signedLeases: true } } as unknown as InitializedSession
  const subject = (over: Partial<LeaseSubject> = {}): LeaseSubject => ({ license: 'KEY-123456', levels: { tier: 'pro' }, expiresAt: 2_000_000_000.5, ...over })

  test('signs again only when a claim, the nonce or the key changes, or the lease is a minute old', () => {
    const leases = new Leases(keys, 'licensewire', 86400)
    const t = 1_700_000_000_000
    const first = leases.issue(session, subject(), undefined, t)
    assert.equal(signed, 1)
    assert.equal(leases.issue(session, subject(), undefined, t + 59_000), first, 'equal levels in a new object')
    assert.equal(signed, 1)
    leases.issue(session, subject(), 'n', t + 1)
    leases.issue(session, subject(), undefined, t + 2)
    leases.issue(session, subject({ levels: { tier: 'max' } }), undefined, t + 3)
    leases.issue(session, subject({ expiresAt: 2_000_000_100 }), undefined, t + 4)
    assert.equal(signed, 5)
    kid = 'k2'
    leases.issue(session, subject({ expiresAt: 2_000_000_100 }), undefined, t + 5)
    assert.equal(signed, 6)
    const aged = leases.issue(session, subject({ expiresAt: 2_000_000_100 }), undefined, t + 5 + 60_000)
    assert.equal(signed, 7)
    assert.match(aged, /"iat":1700000060,"exp":1700086460/)
  })

  test('a short lifetime is reused for a tenth of it; exp takes the earlier of expiry and lifetime', () => {
    const leases = new Leases(keys, 'licensewire', 10)
    const t = 1_700_000_000_000
    const before = signed
    leases.issue(session, subject(), undefined, t)
    leases.issue(session, subject(), undefined, t + 999)
    assert.equal(signed, before + 1)
    assert.match(leases.issue(session, subject({ expiresAt: 1_700_000_005.9 }), undefined, t + 1000), /"iat":1700000001,"exp":1700000005/)
  })
})
