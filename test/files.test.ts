import { after, before, describe, test } from 'node:test'
import assert from 'node:assert/strict'
import { request as httpRequest } from 'node:http'
import { CHUNK_BYTES } from '../src/files/chunks.js'
import { slowPool, testDatabase, type TestDatabase } from './helpers/database.js'
import { startServer, type TestServer } from './helpers/server.js'
import { TestClient, waitFor } from './helpers/client.js'
import { createApp, createLicense, type TestApp } from './helpers/fixtures.js'
import { ISO, TOKEN, call } from './helpers/admin.js'
import { download, downloadUrl, pattern, putFile, sha256 } from './helpers/files.js'

const EMPTY_SHA256 = 'e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855'

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

/** An initialized and authorized socket of a fresh app. */
async function authorizedClient (target: TestServer, app?: TestApp, headers: Record<string, string> = {}): Promise<{ app: TestApp, client: TestClient }> {
  app ??= await createApp(db.pool)
  const license = await createLicense(db.pool, app.id)
  const client = await TestClient.connect(target.wsUrl, headers)
  assert.equal((await client.initialize(app.key)).status, 1)
  assert.equal((await client.authorize(license)).status, 1)
  return { app, client }
}

async function metadata (client: TestClient, filename: string): Promise<Record<string, unknown>> {
  const { id: _id, ...answer } = await client.request(9, { filename })
  return answer
}

async function versionExists (versionId: number): Promise<boolean> {
  const { rowCount } = await db.pool.query('SELECT 1 FROM file_versions WHERE id = $1', [versionId])
  return rowCount === 1
}

const versionOf = (url: string): number => Number(/\/files\/(\d+)\./.exec(url)![1])

describe('upload, URL, download', () => {
  test('upload → metadata → URL → whole file by SHA-256 → ranges → completed downloads counted', async () => {
    const { app, client } = await authorizedClient(server)
    const bytes = pattern(2 * CHUNK_BYTES + 1000)
    const checksum = sha256(bytes)
    const put = await putFile(server, app.id, 'Setup 2-0', bytes)
    assert.equal(put.status, 201)
    assert.match(put.body.created_at, ISO)
    assert.deepEqual(put.body, { name: 'Setup 2-0', size: bytes.length, checksum, transfer_count: 0, last_transferred_at: null, created_at: put.body.created_at })

    assert.deepEqual(await metadata(client, 'Setup 2-0'), { checksum, size: bytes.length, transfer_count: 0, status: 1 })
    const answer = await client.request(7, { filename: 'Setup 2-0' })
    assert.deepEqual(Object.keys(answer), ['id', 'presigned_url', 'file_size', 'file_checksum', 'status'])
    assert.equal(answer.file_size, bytes.length)
    assert.equal(answer.file_checksum, checksum)
    assert.equal(answer.status, 1)
    const url = answer.presigned_url as string
    assert.match(url, new RegExp(`^${server.url}/files/\\d+\\.\\d+\\.[A-Za-z0-9_-]{43}$`))

    const whole = await download(url)
    assert.equal(whole.status, 200)
    assert.equal(sha256(whole.body), checksum)
    assert.equal(whole.headers.get('content-length'), String(bytes.length))
    assert.equal(whole.headers.get('etag'), `"${checksum}"`)
    assert.equal(whole.headers.get('accept-ranges'), 'bytes')
    assert.equal(whole.headers.get('content-type'), 'application/octet-stream')
    assert.equal(whole.headers.get('content-disposition'), 'attachment; filename="Setup 2-0"')
    await waitFor(async () => (await metadata(client, 'Setup 2-0')).transfer_count === 1)

    // Across the first chunk boundary: not the last byte, so no completed download.
    const across = await download(url, { range: `bytes=${CHUNK_BYTES - 10}-${CHUNK_BYTES + 9}` })
    assert.equal(across.status, 206)
    assert.equal(across.headers.get('content-range'), `bytes ${CHUNK_BYTES - 10}-${CHUNK_BYTES + 9}/${bytes.length}`)
    assert.equal(across.headers.get('content-length'), '20')
    assert.deepEqual(across.body, bytes.subarray(CHUNK_BYTES - 10, CHUNK_BYTES + 10))

    // A resume from the middle of the last chunk delivers the last byte: it counts.
    const resumeAt = 2 * CHUNK_BYTES + 10
    assert.equal((await client.request(7, { filename: 'Setup 2-0', resume_at: resumeAt })).status, 1)
    const tail = await download(url, { range: `bytes=${resumeAt}-` })
    assert.equal(tail.status, 206)
    assert.equal(tail.headers.get('content-range'), `bytes ${resumeAt}-${bytes.length - 1}/${bytes.length}`)
    assert.deepEqual(tail.body, bytes.subarray(resumeAt))

    const suffix = await download(url, { range: 'bytes=-100' })
    assert.equal(suffix.status, 206)
    assert.deepEqual(suffix.body, bytes.subarray(bytes.length - 100))

    const beyond = await download(url, { range: 'bytes=100-999999999' })
    assert.equal(beyond.status, 206)
    assert.deepEqual(beyond.body, bytes.subarray(100))

    await waitFor(async () => (await metadata(client, 'Setup 2-0')).transfer_count === 4)
    const after = await metadata(client, 'Setup 2-0')
    assert.ok(Math.abs((after.last_transferred_at as number) - Date.now() / 1000) < 30, JSON.stringify(after))
    assert.deepEqual(Object.keys(after), ['checksum', 'size', 'transfer_count', 'last_transferred_at', 'status'])
    assert.equal((await call(server, 'GET', `/apps/${app.id}/files/${encodeURIComponent('Setup 2-0')}`)).body.transfer_count, 4)
    client.close()
  })

  test('HEAD tells the size without counting; 416 past the end; If-Range for another version is a 200', async () => {
    const { app, client } = await authorizedClient(server)
    const bytes = pattern(5000)
    await putFile(server, app.id, 'head', bytes)
    const url = await downloadUrl(client, 'head')
    const head = await download(url, {}, 'HEAD')
    assert.equal(head.status, 200)
    assert.equal(head.headers.get('content-length'), '5000')
    assert.equal(head.body.length, 0)

    const past = await download(url, { range: 'bytes=5000-' })
    assert.equal(past.status, 416)
    assert.equal(past.headers.get('content-range'), 'bytes */5000')

    const other = await download(url, { range: 'bytes=10-', 'if-range': '"0000"' })
    assert.equal(other.status, 200)
    assert.deepEqual(other.body, bytes)
    const same = await download(url, { range: 'bytes=10-', 'if-range': `"${sha256(bytes)}"` })
    assert.equal(same.status, 206)
    assert.deepEqual(same.body, bytes.subarray(10))
    await waitFor(async () => (await metadata(client, 'head')).transfer_count === 2)
    client.close()
  })

  test('an empty file: stored, served, counted', async () => {
    const { app, client } = await authorizedClient(server)
    const put = await putFile(server, app.id, 'empty', new Uint8Array(0))
    assert.equal(put.status, 201)
    assert.equal(put.body.size, 0)
    assert.equal(put.body.checksum, EMPTY_SHA256)
    const answer = await client.request(7, { filename: 'empty', resume_at: 0 })
    assert.equal(answer.status, 1)
    assert.equal(answer.file_size, 0)
    const got = await download(answer.presigned_url as string)
    assert.equal(got.status, 200)
    assert.equal(got.headers.get('content-length'), '0')
    await waitFor(async () => (await metadata(client, 'empty')).transfer_count === 1)
    client.close()
  })

  test('the URL is built from the upgrade request, honouring trustProxy, under the prefix', async t => {
    const proxied = await startServer(t, db, { adminTokens: [TOKEN], prefix: '/lic' }, { trustProxy: true })
    try {
      const app = await createApp(db.pool)
      await putFile(proxied, app.id, 'proxied', pattern(100))
      const forwarded = { 'x-forwarded-proto': 'https', 'x-forwarded-host': 'licenses.example.com' }
      const { client } = await authorizedClient(proxied, app, forwarded)
      const url = await downloadUrl(client, 'proxied')
      assert.match(url, /^https:\/\/licenses\.example\.com\/lic\/files\/\d+\.\d+\.[A-Za-z0-9_-]{43}$/)
      const local = url.replace('https://licenses.example.com/lic', proxied.url)
      assert.equal((await download(local)).status, 200)

      // Without trustProxy the forwarded headers are the client's word only.
      const direct = await authorizedClient(server, app, forwarded)
      assert.ok((await downloadUrl(direct.client, 'proxied')).startsWith(`${server.url}/files/`))
      client.close()
      direct.client.close()
    } finally {
      await proxied.close()
    }
  })
})

describe('packet statuses', () => {
  test('3 unauthorized, 301 short names, 300 missing, 303 bad offsets, 305 always; 9 needs no authorization', async () => {
    const app = await createApp(db.pool)
    await putFile(server, app.id, 'app-1', pattern(1000))
    const c = await TestClient.connect(server.wsUrl)
    await c.initialize(app.key)
    assert.deepEqual(await c.request(7, { filename: 'app-1' }), { id: 2, status: 3 })
    assert.deepEqual(await c.request(8, { filename: 'app-1' }), { id: 3, status: 305 })
    assert.equal((await c.request(9, { filename: 'app-1' })).status, 1)
    assert.deepEqual(await c.request(9, { filename: 'abc' }), { id: 5, status: 301 })
    assert.deepEqual(await c.request(9, { filename: 'nope' }), { id: 6, status: 300 })
    assert.deepEqual(await c.request(9, { filename: 'bad/name' }), { id: 7, status: 300 })

    const license = await createLicense(db.pool, app.id)
    assert.equal((await c.authorize(license)).status, 1)
    assert.deepEqual(await c.request(7, { filename: 'app' }), { id: 9, status: 301 })
    assert.deepEqual(await c.request(7, { filename: 'app-2' }), { id: 10, status: 300 })
    assert.deepEqual(await c.request(7, { filename: 'a  double' }), { id: 11, status: 300 })
    assert.deepEqual(await c.request(7, { filename: 'app-1', resume_at: 1000 }), { id: 12, status: 303 })
    assert.deepEqual(await c.request(7, { filename: 'app-1', resume_at: -1 }), { id: 13, status: 303 })
    assert.equal((await c.request(7, { filename: 'app-1', resume_at: 999 })).status, 1)
    assert.deepEqual(await c.request(8, { filename: 'app-1' }), { id: 15, status: 305 })

    // Another app's file does not exist for this one.
    const other = await createApp(db.pool)
    await putFile(server, other.id, 'theirs', pattern(10))
    assert.deepEqual(await c.request(9, { filename: 'theirs' }), { id: 16, status: 300 })

    c.send(7, { filename: 'app-1', resume_at: '5' })
    assert.equal((await c.closed).code, 4302)
  })
})

describe('URLs that do not work', () => {
  test('forged → 403; expired → 403; deleted or replaced meanwhile → 404; every instance honours them', async t => {
    const short = await startServer(t, db, { adminTokens: [TOKEN], fileUrlTtlMs: 300 })
    try {
      const { app, client } = await authorizedClient(short)
      await putFile(server, app.id, 'one1', pattern(100, 1))
      await putFile(server, app.id, 'two2', pattern(100, 2))
      const url = await downloadUrl(client, 'one1')
      const other = await downloadUrl(client, 'two2')
      // Made by one instance, served by another (they share the signing key through the database).
      assert.equal((await download(url.replace(short.url, server.url))).status, 200)

      const signature = url.slice(url.lastIndexOf('.') + 1)
      const flipped = url.slice(0, -1) + (url.endsWith('A') ? 'B' : 'A')
      const otherFile = other.replace(/\/files\/\d+\./, `/files/${versionOf(url)}.`)
      const later = url.replace(/(\/files\/\d+)\.(\d+)\./, (_all, head: string, expires: string) => `${head}.${Number(expires) + 60_000}.`)
      for (const forged of [flipped, otherFile, later, `${short.url}/files/${versionOf(url)}`, `${short.url}/files/x.${signature}`]) {
        const res = await download(forged)
        assert.equal(res.status, 403, forged)
        assert.equal(JSON.parse(res.body.toString()).message, 'invalid download URL')
      }

      await new Promise(resolve => setTimeout(resolve, 350))
      const expired = await download(url)
      assert.equal(expired.status, 403)
      assert.equal(JSON.parse(expired.body.toString()).message, 'the download URL has expired')

      const fresh = await downloadUrl(client, 'one1')
      assert.equal((await call(server, 'DELETE', `/apps/${app.id}/files/one1`)).status, 204)
      assert.equal((await download(fresh)).status, 404)
      assert.deepEqual(await metadata(client, 'one1'), { status: 300 })

      const before = await downloadUrl(client, 'two2')
      await putFile(server, app.id, 'two2', pattern(100, 3))
      assert.equal((await download(before)).status, 404)
      assert.deepEqual((await download(await downloadUrl(client, 'two2'))).body, pattern(100, 3))
      client.close()
    } finally {
      await short.close()
    }
  })

  test('the download route has its own per-IP limit (429), outside the admin auth', async t => {
    const limited = await startServer(t, db, { adminTokens: [TOKEN], fileRateLimitMax: 2 })
    try {
      const bogus = `${limited.url}/files/1.1.${'A'.repeat(43)}`
      assert.equal((await download(bogus)).status, 403)
      assert.equal((await download(bogus)).status, 403)
      const third = await download(bogus)
      assert.equal(third.status, 429)
      assert.ok(Number(third.headers.get('retry-after')) > 0)
    } finally {
      await limited.close()
    }
  })

  test('logs never show a URL whole', async t => {
    const lines: string[] = []
    const logged = await startServer(t, db, { adminTokens: [TOKEN] }, { logger: { level: 'info', stream: { write: (line: string) => { lines.push(line) } } } })
    try {
      const { app, client } = await authorizedClient(logged)
      await putFile(logged, app.id, 'logged', pattern(10))
      const url = await downloadUrl(client, 'logged')
      assert.equal((await download(url)).status, 200)
      assert.equal((await download(url.slice(0, -2) + 'xx')).status, 403)
      assert.equal((await download(`${url}/`)).status, 403)
      const token = url.slice(url.lastIndexOf('/') + 1)
      const signature = token.slice(token.lastIndexOf('.') + 1)
      const requests = lines.filter(l => l.includes('/files/'))
      assert.ok(requests.length >= 2, 'the download requests are logged')
      for (const line of lines) assert.ok(!line.includes(signature.slice(0, 12)), line)
      assert.ok(requests.some(l => l.includes(`${token.slice(0, token.lastIndexOf('.') + 5)}…`)), requests.join('\n'))
      client.close()
    } finally {
      await logged.close()
    }
  })
})

describe('limits', () => {
  test('the app\'s file_storage_limit_mib (409) counts its other files; a replaced file\'s own bytes make room', async () => {
    const app = (await call(server, 'POST', '/apps', { name: 'Small storage' })).body
    assert.equal(app.file_storage_limit_mib, 1024)
    assert.equal((await call(server, 'PATCH', `/apps/${app.id}`, { file_storage_limit_mib: 1 })).body.file_storage_limit_mib, 1)
    const half = 600 * 1024
    assert.equal((await putFile(server, app.id, 'one1', pattern(half))).status, 201)

    const declared = await putFile(server, app.id, 'two2', pattern(half))
    assert.equal(declared.status, 409)
    assert.match(declared.body.message, /file_storage_limit_mib/)
    // Without a content-length the upload is read to its end, then refused.
    const streamed = await putFile(server, app.id, 'two2', new Blob([pattern(half)]).stream())
    assert.equal(streamed.status, 409)
    assert.deepEqual((await call(server, 'GET', `/apps/${app.id}/files`)).body.items.map((f: { name: string }) => f.name), ['one1'])

    const whole = await putFile(server, app.id, 'one1', pattern(1024 * 1024, 7))
    assert.equal(whole.status, 201)
    assert.equal(whole.body.size, 1024 * 1024)
    assert.equal((await putFile(server, app.id, 'zero', new Uint8Array(0))).status, 201, 'an empty file fits anywhere')
  })

  test('FILE_MAX_BYTES (413), declared or counted; nothing is kept', async t => {
    const small = await startServer(t, db, { adminTokens: [TOKEN], fileMaxBytes: 1000 })
    try {
      const app = await createApp(db.pool)
      const declared = await putFile(small, app.id, 'big1', pattern(1001))
      assert.equal(declared.status, 413)
      assert.equal(declared.body.message, 'a file may have at most 1000 bytes')
      const streamed = await putFile(small, app.id, 'big2', new Blob([pattern(1500)]).stream())
      assert.equal(streamed.status, 413)
      assert.equal((await putFile(small, app.id, 'fits', pattern(1000))).status, 201)
      assert.deepEqual((await call(small, 'GET', `/apps/${app.id}/files`)).body.items.map((f: { name: string }) => f.name), ['fits'])
      const { rows } = await db.pool.query('SELECT count(*)::int AS n FROM file_versions WHERE app_id = $1', [app.id])
      assert.equal(rows[0].n, 1)
    } finally {
      await small.close()
    }
  })

  test('an upload cut off half-way leaves nothing behind', async () => {
    const app = await createApp(db.pool)
    const url = new URL(`${server.url}/admin/v1/apps/${app.id}/files/cut1`)
    const sent = pattern(CHUNK_BYTES + 50_000)
    await new Promise<void>(resolve => {
      const req = httpRequest(url, {
        method: 'PUT',
        headers: { authorization: `Bearer ${TOKEN}`, 'content-type': 'application/octet-stream', 'content-length': String(4 * CHUNK_BYTES) }
      })
      req.on('error', () => resolve())
      req.on('response', () => resolve())
      // More than a chunk, so at least one chunk row was written in the upload's transaction.
      req.write(sent, () => setTimeout(() => req.destroy(), 300))
    })
    // The connection went back to the pool (on the embedded database it is the only one).
    assert.equal((await putFile(server, app.id, 'next', pattern(10))).status, 201)
    if (db.real) {
      await waitFor(async () => (await db.pool.query("SELECT 1 FROM pg_stat_activity WHERE datname = current_database() AND state LIKE 'idle in transaction%'")).rowCount === 0)
    }
    const { rows } = await db.pool.query(
      `SELECT count(DISTINCT v.id)::int AS versions, count(c.seq)::int AS chunks
         FROM file_versions v LEFT JOIN file_chunks c ON c.version_id = v.id WHERE v.app_id = $1`, [app.id])
    assert.deepEqual(rows[0], { versions: 1, chunks: 1 })
    assert.deepEqual((await call(server, 'GET', `/apps/${app.id}/files`)).body.items.map((f: { name: string }) => f.name), ['next'])
  })
})

describe('replacing a file while it downloads', () => {
  test('the download under way finishes with the old bytes, kept past the hold; a second one meanwhile gets 503', async t => {
    // Every chunk read waits, so a download takes a while; a hold of 300 ms is renewed every 100 ms.
    const pool = slowPool(db.pool, 'FROM file_chunks', 250)
    const slow = await startServer(t, db, { adminTokens: [TOKEN], pool, connectionString: undefined, fileUrlTtlMs: 300, fileDownloadsMax: 1 })
    const { app, client } = await authorizedClient(slow)
    const old = pattern(2 * CHUNK_BYTES + 10, 11)
    const replacement = pattern(1000, 12)
    await putFile(slow, app.id, 'Update', old)
    const url = await downloadUrl(client, 'Update')
    const oldVersion = versionOf(url)

    const res = await fetch(url)
    assert.equal(res.status, 200)
    const body = res.arrayBuffer()

    const busy = await download(await downloadUrl(client, 'Update'))
    assert.equal(busy.status, 503)
    assert.equal(busy.headers.get('retry-after'), '1')

    assert.equal((await putFile(slow, app.id, 'Update', replacement)).status, 201)
    // Retired for longer than the hold: only the download's renewed hold keeps it.
    await new Promise(resolve => setTimeout(resolve, 400))
    await slow.app.licensewireFiles.sweep()
    assert.ok(await versionExists(oldVersion), 'the version being read is kept')

    assert.equal(sha256(Buffer.from(await body)), sha256(old))
    const signedAgain = slow.app.licensewireFiles.urls.url(slow.url, oldVersion, Date.now())
    assert.equal((await download(signedAgain)).status, 404, 'a URL of the replaced version')
    const fresh = await download(await downloadUrl(client, 'Update'))
    assert.equal(fresh.status, 200)
    assert.deepEqual(fresh.body, replacement)
    // The old version's download finished after the replace: it counts for neither.
    await waitFor(async () => (await metadata(client, 'Update')).transfer_count === 1)

    // Once nothing reads it and the hold has passed, its bytes go.
    await waitFor(async () => {
      await slow.app.licensewireFiles.sweep()
      return !await versionExists(oldVersion)
    })
    client.close()
  })
})

describe('management API', () => {
  test('list, get, delete, bad names, unknown apps and files; the app field; OpenAPI', async () => {
    const app = await createApp(db.pool)
    assert.deepEqual((await call(server, 'GET', `/apps/${app.id}/files`)).body, { items: [] })
    await putFile(server, app.id, 'b-file', pattern(10))
    // Whatever the content-type says, the body is the file's bytes.
    const json = await putFile(server, app.id, 'a file', new TextEncoder().encode('{"x":1}'), { 'content-type': 'application/json' })
    assert.equal(json.status, 201)
    assert.equal(json.body.checksum, sha256(new TextEncoder().encode('{"x":1}')))
    const list = (await call(server, 'GET', `/apps/${app.id}/files`)).body.items
    assert.deepEqual(list.map((f: { name: string }) => f.name), ['a file', 'b-file'])
    assert.deepEqual((await call(server, 'GET', `/apps/${app.id}/files/b-file`)).body, list[1])

    for (const name of ['abc', 'a  bc', ' abcd', 'abcd ', 'x'.repeat(17), 'dot.name', 'ümlaut']) {
      const res = await putFile(server, app.id, name, pattern(10))
      assert.equal(res.status, 400, name)
      assert.match(res.body.message, /^params\/name must match pattern/)
    }
    assert.equal((await call(server, 'GET', `/apps/${app.id}/files/nope`)).status, 404)
    assert.equal((await call(server, 'DELETE', `/apps/${app.id}/files/nope`)).status, 404)
    assert.equal((await call(server, 'GET', '/apps/999999999/files')).status, 404)
    assert.equal((await putFile(server, 999999999, 'orphan', pattern(10))).status, 404)
    assert.equal((await call(server, 'DELETE', `/apps/${app.id}/files/b-file`)).status, 204)
    assert.equal((await call(server, 'GET', `/apps/${app.id}/files/b-file`)).status, 404)
    assert.equal((await putFile(server, app.id, 'anon', pattern(10), { authorization: '' })).status, 401)

    for (const bad of [-1, 1.5, '5', null]) {
      assert.equal((await call(server, 'PATCH', `/apps/${app.id}`, { file_storage_limit_mib: bad })).status, 400, String(bad))
    }

    const doc = (await call(server, 'GET', '/admin/openapi.json')).body
    assert.deepEqual(Object.keys(doc.paths['/admin/v1/apps/{appId}/files/{name}']).sort(), ['delete', 'get', 'put'])
    assert.ok(doc.paths['/admin/v1/apps/{appId}/files/{name}'].put.requestBody.content['application/octet-stream'])
    assert.ok(doc.paths['/admin/v1/apps/{appId}/files/{name}'].put.responses['413'])
    assert.equal(doc.paths['/files/{token}'], undefined, 'the download route is not part of the management API')
  })

  test('deleting the app takes its files, bytes and all', async () => {
    const { app, client } = await authorizedClient(server)
    await putFile(server, app.id, 'gone', pattern(100))
    const url = await downloadUrl(client, 'gone')
    client.close()
    assert.equal((await call(server, 'DELETE', `/apps/${app.id}`)).status, 204)
    assert.equal((await download(url)).status, 404)
    const { rows } = await db.pool.query('SELECT count(*)::int AS n FROM file_chunks WHERE version_id = $1', [versionOf(url)])
    assert.equal(rows[0].n, 0)
  })
})
