import { test } from 'node:test'
import assert from 'node:assert/strict'
import { execFile } from 'node:child_process'
import { promisify } from 'node:util'
import { spawnService } from './helpers/process.js'

const run = promisify(execFile)

test('first run on the embedded database: demo keys logged, the example client authorizes, SIGTERM exits 0', async () => {
  const service = await spawnService({ DATABASE_URL: '', PGLITE_DATA_DIR: 'memory' })
  try {
    assert.ok(service.logs.some(l => /using the embedded Postgres \(PGlite\)/.test(String(l.msg))), 'says the embedded database is in use')
    const demo = service.logs.map(l => /^demo app created: websocket_api_key=([A-Z0-9]{21}) license=([A-Z0-9-]+)$/.exec(String(l.msg))).find(m => m !== null)
    assert.ok(demo, 'logs the demo app key and license')
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
