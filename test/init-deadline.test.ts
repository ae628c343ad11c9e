import { test } from 'node:test'
import assert from 'node:assert/strict'
import { InitDeadlines } from '../src/session/init-deadline.js'
import type { Connection } from '../src/session/connection.js'
import { SessionState } from '../src/session/state.js'

function fake (openedAt: number): Connection {
  return { openedAt, closing: false, state: new SessionState(String(openedAt), '127.0.0.1') } as unknown as Connection
}

test('init deadlines: one timer expires sockets in opening order, skipping initialized and closing ones', async () => {
  const expired: number[] = []
  const start = Date.now()
  const deadlines = new InitDeadlines(60, c => expired.push(c.openedAt))
  const a = fake(start)
  const b = fake(start + 1)
  const c = fake(start + 2)
  const d = fake(start + 40)
  for (const x of [a, b, c, d]) deadlines.add(x)
  b.state.initialize({ id: 1, name: 'A', version: '1' }, 'device-1')
  c.closing = true
  await new Promise(resolve => setTimeout(resolve, 75))
  assert.deepEqual(expired, [start])
  await new Promise(resolve => setTimeout(resolve, 60))
  assert.deepEqual(expired, [start, start + 40])
  deadlines.stop()
})
