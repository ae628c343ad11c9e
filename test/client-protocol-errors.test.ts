import { before, test } from 'node:test'
import assert from 'node:assert/strict'
import { Writable } from 'node:stream'
import { testDatabase, type TestDatabase } from './helpers/database.js'
import { startServer, type TestServer } from './helpers/server.js'
import { TestClient } from './helpers/client.js'

let db: TestDatabase
let server: TestServer
const lines: { level: number, msg: string }[] = []

before(async t => {
  db = await testDatabase(t)
  const stream = new Writable({
    write (chunk: Buffer, _encoding, done) {
      for (const line of chunk.toString().split('\n')) if (line !== '') lines.push(JSON.parse(line) as { level: number, msg: string })
      done()
    }
  })
  server = await startServer(t, db, { maxPayloadBytes: 1024 }, { logger: { level: 'debug', stream } })
})

test('a client breaking the WebSocket protocol is closed by ws, counted in metrics, and logged at debug only', async () => {
  const big = await TestClient.connect(server.wsUrl)
  big.sendRaw(JSON.stringify({ type: 0, id: 1, pad: 'x'.repeat(2000) }))
  assert.equal((await big.closed).code, 1009)
  // A frame with a reserved bit set: a protocol error (1002).
  const raw = await TestClient.connect(server.wsUrl)
  const socket = (raw.ws as unknown as { _socket: import('node:net').Socket })._socket
  socket.write(Buffer.from([0xf1, 0x80, 0, 0, 0, 0]))
  assert.equal((await raw.closed).code, 1002)

  const metrics = await (await fetch(`${server.url}/metrics`)).text()
  assert.match(metrics, /^licensewire_client_protocol_errors_total\{code="WS_ERR_UNSUPPORTED_MESSAGE_LENGTH"\} 1$/m)
  assert.match(metrics, /^licensewire_client_protocol_errors_total\{code="WS_ERR_UNEXPECTED_RSV_2_3"\} 1$/m)
  assert.deepEqual(lines.filter(l => l.level >= 50).map(l => l.msg), [])
  assert.equal(lines.filter(l => l.msg === 'client websocket error').length, 2)
})
