import { before, test } from 'node:test'
import assert from 'node:assert/strict'
import { failingPool, testDatabase, type TestDatabase } from './helpers/database.js'
import { startServer, type TestServer } from './helpers/server.js'
import { createApp } from './helpers/fixtures.js'
import { TOKEN, call } from './helpers/admin.js'

let db: TestDatabase
let server: TestServer
let failing: string | null = null
const logs: Record<string, unknown>[] = []

before(async t => {
  db = await testDatabase(t)
  server = await startServer(t, { ...db, real: false, pool: failingPool(db.pool, () => failing) }, { migrate: false, events: 'local', adminTokens: [TOKEN] }, {
    logger: { level: 'info', stream: { write: (line: string) => { logs.push(JSON.parse(line) as Record<string, unknown>) } } },
    requestIdHeader: 'x-request-id',
    bodyLimit: 4096
  })
})

async function withFailing<T> (match: string, work: () => Promise<T>): Promise<T> {
  failing = match
  try {
    return await work()
  } finally {
    failing = null
  }
}

test('a failing query answers a bare 500 and logs the error with the request id', async () => {
  const res = await withFailing('FROM apps', () => fetch(`${server.url}/admin/v1/apps`, {
    headers: { authorization: `Bearer ${TOKEN}`, 'x-request-id': 'req-admin-500' }
  }))
  assert.equal(res.status, 500)
  assert.equal(await res.text(), '{"statusCode":500,"error":"Internal Server Error","message":"Internal Server Error"}')
  assert.match(res.headers.get('content-type') ?? '', /^application\/json/)
  const logged = logs.filter(l => l.reqId === 'req-admin-500' && l.level === 50)
  assert.equal(logged.length, 1, JSON.stringify(logs.filter(l => l.reqId === 'req-admin-500')))
  assert.equal((logged[0]!.err as { message: string }).message, 'connection terminated unexpectedly')

  for (const [method, path, body] of [
    ['POST', '/apps', { name: 'x' }], ['GET', '/apps/1'], ['GET', '/apps/1/licenses'], ['GET', '/apps/1/sessions']
  ] as const) {
    const answer = await withFailing('apps', () => call(server, method, path, body))
    assert.equal(answer.status, 500, `${method} ${path}`)
    assert.deepEqual(answer.body, { statusCode: 500, error: 'Internal Server Error', message: 'Internal Server Error' })
  }
})

test('4xx answers are as they were: validation, auth, not found, conflict, body too large', async () => {
  const app = await createApp(db.pool)
  const cases: [string, string, unknown, string | null, number, unknown][] = [
    ['POST', '/apps', { name: 5 }, TOKEN, 400, { statusCode: 400, code: 'FST_ERR_VALIDATION', error: 'Bad Request', message: 'body/name must be string' }],
    ['GET', '/apps/abc', undefined, TOKEN, 400, { statusCode: 400, code: 'FST_ERR_VALIDATION', error: 'Bad Request', message: 'params/appId must be integer' }],
    ['GET', '/apps', undefined, null, 401, { statusCode: 401, error: 'Unauthorized', message: 'missing or invalid admin token' }],
    ['GET', '/apps/999999', undefined, TOKEN, 404, { statusCode: 404, error: 'Not Found', message: 'app 999999 not found' }],
    ['POST', `/apps/${app.id}/blacklist`, { client_id: 'device-0001' }, TOKEN, 201, undefined],
    ['POST', `/apps/${app.id}/blacklist`, { client_id: 'device-0001' }, TOKEN, 409, { statusCode: 409, error: 'Conflict', message: 'body/client_id is blacklisted already' }],
    ['POST', '/apps', { name: 'x'.repeat(5000) }, TOKEN, 413, { statusCode: 413, code: 'FST_ERR_CTP_BODY_TOO_LARGE', error: 'Payload Too Large', message: 'Request body is too large' }]
  ]
  for (const [method, path, body, token, status, expected] of cases) {
    const res = await call(server, method, path, body, token)
    assert.equal(res.status, status, `${method} ${path}`)
    if (expected !== undefined) assert.deepEqual(res.body, expected, `${method} ${path}`)
  }
  const invalidJson = await fetch(`${server.url}/admin/v1/apps`, {
    method: 'POST', headers: { authorization: `Bearer ${TOKEN}`, 'content-type': 'application/json' }, body: '{"name":'
  })
  assert.equal(invalidJson.status, 400)
  assert.deepEqual(await invalidJson.json(), { statusCode: 400, code: 'FST_ERR_CTP_INVALID_JSON_BODY', error: 'Bad Request', message: "Body is not valid JSON but content-type is set to 'application/json'" })
})
