import { test } from 'node:test'
import assert from 'node:assert/strict'
import type { FastifyBaseLogger } from 'fastify'
import type { SessionItemJson } from '../src/admin/schemas.js'
import { AppSessionWatch } from '../src/console/session-watch.js'

const session = (id: string, authorized = false): SessionItemJson => ({
  id,
  instance_id: '00000000-0000-4000-8000-000000000000',
  client_id: `device-${id}`,
  ip_address: '127.0.0.1',
  license: authorized ? 'KEY-000001' : null,
  login: null,
  initialized_at: '2026-12-02T00:00:00.000Z',
  authorized_at: authorized ? '2026-12-02T00:00:01.000Z' : null,
  suspended_until: null
})

const silentLog = { warn () {} } as unknown as FastifyBaseLogger
const sleep = (ms: number) => new Promise(resolve => setTimeout(resolve, ms))

function recorder () {
  const events: { event: string, data: unknown }[] = []
  return { events, subscriber: { send: (event: string, data: unknown) => { events.push({ event, data }) } } }
}

test('a watch sends a snapshot first, then only what changed, to every subscriber; stops when the last leaves', async () => {
  let rows = [session('a')]
  let reads = 0
  let idle = 0
  const watch = new AppSessionWatch(async () => { reads++; return rows }, 20, silentLog, () => { idle++ })
  const one = recorder()
  watch.add(one.subscriber)
  await sleep(50)
  assert.deepEqual(one.events, [{ event: 'snapshot', data: { items: [session('a')] } }])

  rows = [session('a', true), session('b')]
  await sleep(200)
  assert.deepEqual(one.events.slice(1), [
    { event: 'session', data: session('a', true) },
    { event: 'session', data: session('b') }
  ])

  const two = recorder()
  watch.add(two.subscriber)
  await sleep(50)
  assert.deepEqual(two.events, [{ event: 'snapshot', data: { items: rows } }])

  rows = [session('b')]
  await sleep(200)
  assert.deepEqual(one.events.at(-1), { event: 'session_end', data: { id: 'a' } })
  assert.deepEqual(two.events.slice(1), [{ event: 'session_end', data: { id: 'a' } }])

  watch.remove(one.subscriber)
  watch.remove(two.subscriber)
  assert.equal(idle, 1)
  const after = reads
  await sleep(200)
  assert.equal(reads, after, 'no reads once nobody watches')
})

test('a failed read is logged and retried; a slow read spaces the next ones out', async () => {
  let fail = true
  const warnings: unknown[] = []
  const log = { warn: (obj: unknown) => { warnings.push(obj) } } as unknown as FastifyBaseLogger
  const readAt: number[] = []
  const watch = new AppSessionWatch(async () => {
    readAt.push(Date.now())
    if (fail) { fail = false; throw new Error('connection lost') }
    await sleep(15)
    return []
  }, 10, log, () => {})
  const one = recorder()
  watch.add(one.subscriber)
  await sleep(200)
  assert.equal(warnings.length, 1)
  assert.deepEqual(one.events, [{ event: 'snapshot', data: { items: [] } }])
  await sleep(700)
  watch.stop()
  // Each read took ≥ 15 ms, so the reads after it are ≥ 150 ms apart, not 10.
  const gaps = readAt.slice(2).map((t, i) => t - readAt[i + 1]!)
  assert.ok(gaps.length >= 1 && gaps.every(g => g >= 140), `gaps ${gaps.join(', ')}`)
})
