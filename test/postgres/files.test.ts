import { after, before, test } from 'node:test'
import assert from 'node:assert/strict'
import { CHUNK_BYTES } from '../../src/files/chunks.js'
import { slowPool, testDatabase, type TestDatabase } from '../helpers/database.js'
import { startServer, type TestServer } from '../helpers/server.js'
import { TestClient, waitFor } from '../helpers/client.js'
import { createApp, createLicense } from '../helpers/fixtures.js'
import { TOKEN } from '../helpers/admin.js'
import { download, downloadUrl, pattern, putFile, sha256 } from '../helpers/files.js'

// Two instances on one real Postgres, as replicas behind a load balancer: the bytes,
// the URL signing key and the download holds all live in the database.
let db: TestDatabase
let a: TestServer
let b: TestServer

before(async t => {
  db = await testDatabase(t)
  assert.ok(db.real, 'these tests need DATABASE_URL')
  // Instance A reads chunks slowly, so its downloads are still running when B acts.
  a = await startServer(t, db, { adminTokens: [TOKEN], pool: slowPool(db.pool, 'FROM file_chunks', 200), connectionString: undefined, fileUrlTtlMs: 300 })
  b = await startServer(t, db, { adminTokens: [TOKEN], fileUrlTtlMs: 300 })
})
after(async () => {
  await a?.close()
  await b?.close()
  await db?.stop()
})

test('a URL made by one instance is served by the other, and the download counts on both', async () => {
  const app = await createApp(db.pool)
  const license = await createLicense(db.pool, app.id)
  const bytes = pattern(CHUNK_BYTES + 123)
  assert.equal((await putFile(a, app.id, 'Shared', bytes)).status, 201)
  const onA = await TestClient.connect(a.wsUrl)
  await onA.initialize(app.key)
  await onA.authorize(license)
  const url = await downloadUrl(onA, 'Shared')
  assert.ok(url.startsWith(`${a.url}/files/`))

  const fromB = await download(url.replace(a.url, b.url))
  assert.equal(fromB.status, 200)
  assert.equal(sha256(fromB.body), sha256(bytes))
  const onB = await TestClient.connect(b.wsUrl)
  await onB.initialize(app.key, 'device-0002')
  await waitFor(async () => (await onB.request(9, { filename: 'Shared' })).transfer_count === 1)
  assert.equal((await onA.request(9, { filename: 'Shared' })).transfer_count, 1)
  onA.close()
  onB.close()
})

test('a download on one instance keeps its version while the other replaces the file and sweeps', async () => {
  const app = await createApp(db.pool)
  const license = await createLicense(db.pool, app.id)
  const old = pattern(3 * CHUNK_BYTES, 5)
  await putFile(b, app.id, 'Moving', old)
  const client = await TestClient.connect(a.wsUrl)
  await client.initialize(app.key)
  await client.authorize(license)
  const url = await downloadUrl(client, 'Moving')
  const versionId = Number(/\/files\/(\d+)\./.exec(url)![1])

  const res = await fetch(url)
  const body = res.arrayBuffer()
  assert.equal((await putFile(b, app.id, 'Moving', pattern(10, 6))).status, 201)
  await new Promise(resolve => setTimeout(resolve, 400))
  await b.app.licensewireFiles.sweep()
  const { rowCount } = await db.pool.query('SELECT 1 FROM file_versions WHERE id = $1', [versionId])
  assert.equal(rowCount, 1, 'the version instance A is reading is kept')
  assert.equal(sha256(Buffer.from(await body)), sha256(old))
  client.close()
})
