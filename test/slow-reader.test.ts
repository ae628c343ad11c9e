import { before, test } from 'node:test'
import assert from 'node:assert/strict'
import { testDatabase, type TestDatabase } from './helpers/database.js'
import { startServer, type TestServer } from './helpers/server.js'
import { TestClient, waitFor } from './helpers/client.js'
import { createApp, createLicense } from './helpers/fixtures.js'

let db: TestDatabase
let server: TestServer

before(async t => {
  db = await testDatabase(t)
  server = await startServer(t, db, { maxBufferedBytes: 64 * 1024, rateLimitPackets: 1000 })
})

test('a client that stops reading stops being read, and is closed 1008 once over MAX_BUFFERED_BYTES for a few seconds', async () => {
  const app = await createApp(db.pool)
  const key = await createLicense(db.pool, app.id, { levels: { blob: 'x'.repeat(200 * 1024) } })
  const c = await TestClient.connect(server.wsUrl)
  assert.equal((await c.initialize(app.key)).status, 1)
  assert.equal((await c.authorize(key)).status, 1)
  c.ws.pause()
  for (let i = 0; i < 30; i++) c.send(15)
  // Once the unsent answers pass the limit, the server stops reading: the frames it
  // had read are still answered, in order; frames sent after that are not read at all.
  const [serverSide] = server.app.licensewireHub.connections
  await waitFor(() => serverSide!.socket.isPaused, 20000)
  for (let i = 0; i < 30; i++) c.send(15)
  await new Promise(resolve => setTimeout(resolve, 3500))
  c.ws.resume()
  assert.deepEqual(await c.closed, { code: 1008, reason: 'policy violation' })
  assert.deepEqual(c.messages.map(m => [m.id, m.status]), Array.from({ length: 30 }, (_, i) => [i + 3, 1]))
  const metrics = await (await fetch(`${server.url}/metrics`)).text()
  assert.match(metrics, /^licensewire_closes_total\{code="1008"\} 1$/m)
})

test('a reader that is only briefly behind is not closed', async () => {
  const app = await createApp(db.pool)
  const key = await createLicense(db.pool, app.id, { levels: { blob: 'x'.repeat(200 * 1024) } })
  const c = await TestClient.connect(server.wsUrl)
  await c.initialize(app.key)
  await c.authorize(key)
  c.ws.pause()
  for (let i = 0; i < 20; i++) c.send(15)
  await new Promise(resolve => setTimeout(resolve, 1000))
  c.ws.resume()
  for (let i = 0; i < 20; i++) assert.equal((await c.next(10000)).status, 1)
  assert.equal((await c.request(10)).status, 1)
  c.close()
})
