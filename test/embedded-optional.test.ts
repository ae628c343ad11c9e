import { test } from 'node:test'
import assert from 'node:assert/strict'
import { execFile } from 'node:child_process'
import { promisify } from 'node:util'

// PGlite is an optional dependency: these run licensewire in a child process whose
// module resolution cannot find it.
const run = promisify(execFile)
const WITHOUT_PGLITE = ['--import', 'tsx', '--import', './test/helpers/without-pglite.mjs']
const INSTALL = /the embedded database \(PGlite\) is not installed \(missing @electric-sql\/pglite, @electric-sql\/pglite-socket\)\. Install it with `npm install @electric-sql\/pglite @electric-sql\/pglite-socket`/

interface Result { code: number, stdout: string, stderr: string }

async function node (args: string[], env: Record<string, string> = {}): Promise<Result> {
  try {
    const { stdout, stderr } = await run(process.execPath, [...WITHOUT_PGLITE, ...args], { env: { ...process.env, ...env }, timeout: 30000 })
    return { code: 0, stdout, stderr }
  } catch (err) {
    const e = err as Result
    return { code: e.code, stdout: e.stdout, stderr: e.stderr }
  }
}

test('the hook hides PGlite', async () => {
  const res = await node(['--input-type=module', '-e', "await import('@electric-sql/pglite')"])
  assert.notEqual(res.code, 0)
  assert.match(res.stderr, /Cannot find package '@electric-sql\/pglite'/)
})

test('without PGlite the package loads, and asking for the embedded database says what to install', async () => {
  const res = await node(['--input-type=module', '-e', `
    const licensewire = await import('./src/index.ts')
    console.log(typeof licensewire.default)
    await licensewire.startEmbeddedPostgres('memory').then(() => console.log('started'), err => console.log(err.message))
  `])
  assert.equal(res.code, 0, res.stderr)
  const [loaded, message] = res.stdout.trim().split('\n')
  assert.equal(loaded, 'function')
  assert.match(message!, INSTALL)
})

test('the standalone service without DATABASE_URL and without PGlite exits 1 with that message', async () => {
  const res = await node(['src/server.ts'], { DATABASE_URL: '', PORT: '0', HOST: '127.0.0.1', PGLITE_DATA_DIR: 'memory' })
  assert.equal(res.code, 1)
  assert.match(res.stderr, INSTALL)
})
