import { before, test } from 'node:test'
import assert from 'node:assert/strict'
import { testDatabase, type TestDatabase } from './helpers/database.js'
import { startServer, type TestServer } from './helpers/server.js'
import { TestClient } from './helpers/client.js'
import { onEnd } from './helpers/cleanup.js'
import { TOKEN, call } from './helpers/admin.js'
import { download, downloadUrl, pattern, putFile } from './helpers/files.js'
import licensewire from '../src/index.js'
import { redactUrl } from '../src/log-redaction.js'
import { serviceApp } from '../src/server.js'

let db: TestDatabase

before(async t => { db = await testDatabase(t) })

/** The most of a secret a log may show: 4 characters, and never more than a third. */
const allowed = (secret: string): number => Math.min(4, Math.floor(secret.length / 3))

/** Fails when the log holds more of `secret` than `shown` characters in a row. */
function assertHidden (log: string, secret: string, shown: number, what: string): void {
  for (let i = 0; i + shown + 1 <= secret.length; i++) {
    const piece = secret.slice(i, i + shown + 1)
    assert.ok(!log.includes(piece), `${what}: the log shows "${piece}" of "${secret}":\n${log.split('\n').filter(l => l.includes(piece)).join('\n')}`)
  }
}

/** Every request the issue found logging a key whole, and a session with a download, against one server. */
async function exercise (server: TestServer, keys: { long: string, short: string, other: string }): Promise<string[]> {
  const app = (await call(server, 'POST', '/apps', { name: 'Logged' })).body
  assert.equal((await call(server, 'POST', `/apps/${app.id}/licenses`, { duration: '1d', keys: [keys.long, keys.short, keys.other] })).status, 201)
  const auth = { authorization: `Bearer ${TOKEN}` }
  const base = `${server.url}/admin/v1/apps/${app.id}`
  const requests: [string, string][] = [
    ['GET', `${base}/licenses/${keys.long}`],
    ['GET', `${base}/licenses/${keys.long}/`],
    ['PUT', `${base}/licenses/${keys.long}`],
    ['POST', `${base}/licenses/${keys.short}/pause`],
    ['GET', `${base}/Licenses/${keys.long}`],
    ['GET', `${base}/LICENSES/${keys.long}/`],
    ['GET', `${server.url}//admin/v1/apps/${app.id}/licenses/${keys.long}`],
    ['GET', `${base}//licenses/${keys.long}`],
    ['GET', `${base}/licenses/${keys.long}/extra/segment`],
    ['GET', `${base}/licenses/${keys.short}`],
    ['GET', `${base}/licenses/${keys.short}x`],
    ['GET', `${base}/licenses?cursor=${keys.other}&state=active`],
    ['GET', `${base}/licenses/${encodeURIComponent(keys.other)}?q=${keys.other}`],
    ['DELETE', `${base}/accounts/999/licenses/${keys.other}`],
    ['GET', `${server.url}/nothing/here/licenses/${keys.other}`],
    ['GET', `${server.url}/accounts/${keys.other}`]
  ]
  for (const [method, url] of requests) {
    const res = await fetch(url, { method, headers: auth })
    await res.arrayBuffer()
    assert.ok(res.status >= 200 && res.status < 500, `${method} ${url}: ${res.status}`)
  }
  // Without a token, too: logged before the check that refuses it.
  await (await fetch(`${base}/licenses/${keys.long}`)).arrayBuffer()

  const client = await TestClient.connect(server.wsUrl)
  assert.equal((await client.initialize(app.websocket_api_key, 'logged-device')).status, 1)
  assert.equal((await client.authorize(keys.long)).status, 1)
  assert.equal((await putFile(server, app.id, 'logged', pattern(1000))).status, 201)
  const url = await downloadUrl(client, 'logged')
  assert.equal((await download(url)).status, 200)
  assert.equal((await download(`${url}/`)).status, 403)
  assert.equal((await download(`${url}?a=b`)).status, 200)
  await client.closeAndWait()
  const token = url.slice(url.lastIndexOf('/') + 1)
  return [app.websocket_api_key, token.slice(token.lastIndexOf('.') + 1)]
}

function check (lines: string[], keys: { long: string, short: string, other: string }, secrets: string[]): void {
  const log = lines.join('')
  assert.ok(lines.length > 40, 'the run was logged')
  assert.match(log, /incoming request/)
  assert.match(log, /Route GET:[^"]*\/Licenses\/[^"]* not found/)
  for (const key of Object.values(keys)) assertHidden(log, key, allowed(key), key)
  for (const secret of secrets) assertHidden(log, secret, 4, 'secret')
  // The admin token is never in a URL; its words ("admin", "token") are in many.
  assertHidden(log, TOKEN, 11, 'admin token')
  // What is left still tells requests apart.
  assert.ok(log.includes(`/licenses/${keys.long.slice(0, 4)}…`), 'a long key shows its first 4 characters')
  assert.ok(log.includes(`/licenses/${keys.short.slice(0, 3)}…`), 'a 9-character key shows 3')
}

test('the standalone service logs no key, token or signature whole, for any URL', async t => {
  const lines: string[] = []
  const app = serviceApp({ logLevel: 'trace', trustProxy: undefined, headersTimeoutMs: 10_000 }, { write: line => { lines.push(line) } })
  onEnd(t, () => app.close())
  await app.register(licensewire, { pool: db.pool, events: 'local', adminTokens: [TOKEN], rateLimitCooldownMs: 0 })
  await app.listen({ port: 0, host: '127.0.0.1' })
  const { port } = app.server.address() as { port: number }
  const server: TestServer = { app, url: `http://127.0.0.1:${port}`, wsUrl: `ws://127.0.0.1:${port}/ws`, close: () => app.close() }
  const keys = { long: 'ZQXJ-WVKP-YRTB-HNMD', short: 'GFQKZXWVJ', other: 'PLMK-NBVC-XJQW' }
  check(lines, keys, await exercise(server, keys))
})

test('mounted under a prefix, the plugin redacts in the host\'s logger, its 404s included', async t => {
  const lines: string[] = []
  const server = await startServer(t, db, { prefix: '/license', adminTokens: [TOKEN] }, {
    logger: { level: 'trace', stream: { write: (line: string) => { lines.push(line) } } }
  })
  const keys = { long: 'JWQZ-KXVB-RTYN-MHPD', short: 'VKXQZJGFW', other: 'CXBN-QWJL-MKPZ' }
  check(lines, keys, await exercise(server, keys))
})

test('redactUrl: segments after licenses/, accounts/ and files/ in any case, and the query string', () => {
  const cases: [string, string][] = [
    ['/admin/v1/apps/1/licenses/ABCDEFGHIJKLMNOP', '/admin/v1/apps/1/licenses/ABCD…'],
    ['/admin/v1/apps/1/licenses/ABCDEFGHI/', '/admin/v1/apps/1/licenses/ABC…/'],
    ['/admin/v1/apps/1/licenses/ABCDEF/pause', '/admin/v1/apps/1/licenses/AB…/pause'],
    ['/admin/v1/apps/1/Licenses/ABCDEFGHIJKL/x/yyyyyy', '/admin/v1/apps/1/Licenses/ABCD…/…/yy…'],
    ['//licenses//ABCDEFGHIJKL', '//licenses//ABCD…'],
    ['/admin/v1/apps/1/accounts/12/licenses/ABCDEFGHIJKL', '/admin/v1/apps/1/accounts/12/licenses/ABCD…'],
    ['/admin/v1/apps/1/accounts/ABCDEFGHIJKL', '/admin/v1/apps/1/accounts/ABCD…'],
    ['/admin/v1/apps/1/licenses?cursor=abc&key=ABCDEFGHIJKL', '/admin/v1/apps/1/licenses?…'],
    ['/files/12.1764650000000.abcdefghijklmnopqrstuvwxyz0123456789ABCDEFG', '/files/12.1764650000000.abcd…'],
    ['/admin/v1/apps/1/licenses/%41%42%43%44%45%46', '/admin/v1/apps/1/licenses/%4…'],
    ['/healthz', '/healthz']
  ]
  for (const [url, expected] of cases) assert.equal(redactUrl(url), expected, url)
})
