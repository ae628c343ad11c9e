import { test } from 'node:test'
import assert from 'node:assert/strict'
import { execFile } from 'node:child_process'
import { mkdtemp, readFile, rm } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { promisify } from 'node:util'
import { spawnService } from './helpers/process.js'
import { startEmbeddedPostgres } from '../src/db/embedded.js'

const run = promisify(execFile)

test('first run on the embedded database: demo keys logged, the example client authorizes, SIGTERM exits 0', async () => {
  const service = await spawnService({ DATABASE_URL: '', PGLITE_DATA_DIR: 'memory' })
  try {
    assert.ok(service.logs.some(l => /using the embedded Postgres \(PGlite\)/.test(String(l.msg))), 'says the embedded database is in use')
    const demo = service.logs.map(l => /^demo app created: websocket_api_key=([A-Z0-9]{21}) license=([A-Z0-9-]+)$/.exec(String(l.msg))).find(m => m !== null)
    assert.ok(demo, 'logs the demo app key and license')
    const messages = service.logs.map(l => String(l.msg))
    assert.ok(messages.includes(`WebSocket: ws://127.0.0.1:${service.port}/ws; health: http://127.0.0.1:${service.port}/readyz`), 'says where the WebSocket is')
    assert.ok(messages.includes(`admin console and management API: off; set ADMIN_TOKEN (16+ characters) to serve the console at http://127.0.0.1:${service.port}/console/ and the API at http://127.0.0.1:${service.port}/admin/v1, with its reference at http://127.0.0.1:${service.port}/admin/docs`),
      'says the console and the management API are off and how to turn them on')
    const ready = await fetch(`${service.url}/readyz`)
    assert.equal(ready.status, 200)

    const { stdout } = await run(process.execPath, ['--import', 'tsx', 'examples/client.ts',
      '--url', service.wsUrl, '--api-key', demo[1]!, '--client-id', 'first-run-device', '--license', demo[2]!])
    const answers = stdout.trim().split('\n').map(line => JSON.parse(line) as Record<string, unknown>)
    assert.deepEqual(answers.map(a => [a.id, a.status]), [[1, 1], [2, 1], [3, 1]])
    assert.equal(answers[0]!.app_name, 'Demo app')
    assert.deepEqual(answers[1]!.levels, { tier: 'pro' })

    await assert.rejects(run(process.execPath, ['--import', 'tsx', 'examples/client.ts',
      '--url', service.wsUrl, '--api-key', demo[1]!, '--client-id', 'another-device', '--license', demo[2]!]),
    (err: { code: number, stdout: string }) => err.code === 1 && /"status":502/.test(err.stdout))
  } finally {
    service.child.kill('SIGTERM')
  }
  assert.equal(await service.exited, 0)
})

test('a data directory keeps the demo keys: saved on the first start, pointed at on the next; the start log says where the API and its reference are', async t => {
  const dir = await mkdtemp(join(tmpdir(), 'licensewire-demo-'))
  t.after(() => rm(dir, { recursive: true, force: true }))
  const dataDir = join(dir, 'pglite')
  const token = 'demo-admin-token-0123456789'
  const first = await spawnService({ DATABASE_URL: '', PGLITE_DATA_DIR: dataDir, ADMIN_TOKEN: token })
  let demo: RegExpExecArray | undefined
  try {
    demo = first.logs.map(l => /^demo app created: websocket_api_key=([A-Z0-9]{21}) license=([A-Z0-9-]+)$/.exec(String(l.msg))).find(m => m !== null) ?? undefined
    assert.ok(demo, 'the first start logs the keys')
    const messages = first.logs.map(l => String(l.msg))
    assert.ok(messages.includes(`demo app keys saved to ${join(dataDir, 'demo-keys.txt')}`))
    assert.ok(messages.includes(`admin console: http://127.0.0.1:${first.port}/console/ (sign in with ADMIN_TOKEN)`))
    assert.ok(messages.includes(`management API: http://127.0.0.1:${first.port}/admin/v1 (Authorization: Bearer <ADMIN_TOKEN>); interactive API reference: http://127.0.0.1:${first.port}/admin/docs`))
    assert.equal((await fetch(`${first.url}/console/`)).status, 200, 'the console is where the log says')
    assert.ok(!JSON.stringify(first.logs).includes(token), 'never the token')
    const docs = await fetch(`${first.url}/admin/docs/`)
    assert.equal(docs.status, 200, 'the reference is where the log says, without a token')
  } finally {
    first.child.kill('SIGTERM')
  }
  assert.equal(await first.exited, 0)
  const saved = await readFile(join(dataDir, 'demo-keys.txt'), 'utf8')
  assert.match(saved, new RegExp(`^websocket_api_key=${demo[1]}$`, 'm'))
  assert.match(saved, new RegExp(`^license=${demo[2]}$`, 'm'))

  const second = await spawnService({ DATABASE_URL: '', PGLITE_DATA_DIR: dataDir })
  try {
    const messages = second.logs.map(l => String(l.msg))
    assert.ok(!messages.some(m => m.startsWith('demo app created')), 'no second demo app')
    assert.ok(messages.includes(`demo app keys (from the first start): ${join(dataDir, 'demo-keys.txt')}`), 'a later start says where the keys are')
    assert.ok(!JSON.stringify(second.logs).includes(demo[1]!), 'without logging them again')
  } finally {
    second.child.kill('SIGTERM')
  }
  assert.equal(await second.exited, 0)
})

test('with DATABASE_URL and no apps: no demo, a hint of what to do next', async t => {
  // Any Postgres will do; this one is embedded in the test process.
  const postgres = await startEmbeddedPostgres('memory')
  t.after(() => postgres.stop())
  const service = await spawnService({ DATABASE_URL: postgres.connectionString, DATABASE_POOL_MAX: '1' })
  try {
    const messages = service.logs.map(l => String(l.msg))
    assert.ok(!messages.some(m => /demo app|embedded Postgres/.test(m)))
    assert.ok(messages.some(m => m.startsWith('the database has no apps yet: set ADMIN_TOKEN (16+ characters) to turn on the management API, then create one with `npm run cli -- apps create')), messages.join('\n'))
  } finally {
    service.child.kill('SIGTERM')
  }
  assert.equal(await service.exited, 0)
})
