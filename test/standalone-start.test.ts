import { test } from 'node:test'
import assert from 'node:assert/strict'
import { spawn } from 'node:child_process'
import { existsSync } from 'node:fs'
import { mkdtemp, readFile, readdir, rm, writeFile } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { failedStart, spawnService } from './helpers/process.js'

// Start-up errors name the environment variable, the value's problem and the fix
// (issue 18, item 6), and the embedded database's directory is checked and locked
// (item 7). All through the real process, as a user meets them.

async function tempDir (t: { after: (fn: () => Promise<void>) => void }): Promise<string> {
  const dir = await mkdtemp(join(tmpdir(), 'licensewire-start-'))
  t.after(() => rm(dir, { recursive: true, force: true }))
  return dir
}

test('a bad environment is refused at once, every problem named with its variable and its fix', async () => {
  const res = await failedStart({ PGLITE_DATA_DIR: 'memory', ADMIN_TOKEN: 'short', LOG_LEVEL: 'verbose', INIT_TIMEOUT_MS: 'soon', PORT: '70000', WS_PATH: 'ws' })
  assert.equal(res.code, 1, res.stderr)
  const lines = res.stderr.trim().split('\n')
  assert.equal(lines[0], 'licensewire: cannot start, the environment has 5 problems:')
  const problem = (name: string): string => lines.find(l => l.startsWith(`  - ${name}`)) ?? assert.fail(`no line for ${name}:\n${res.stderr}`)
  assert.match(problem('INIT_TIMEOUT_MS'), /^ {2}- INIT_TIMEOUT_MS=soon: must be a whole number of at least 1\. Fix: .*default \(15000\)\.$/)
  assert.match(problem('ADMIN_TOKEN'), /token 1 of 1 is 5 characters long; each needs at least 16\. Fix: use a long random string/)
  assert.ok(!res.stderr.includes('short'), 'the token itself is never printed')
  assert.match(problem('PORT'), /PORT=70000: must be a port number between 0 and 65535\. Fix:/)
  assert.match(problem('LOG_LEVEL'), /LOG_LEVEL=verbose: is not a log level\. Fix: one of fatal, error, warn, info, debug, trace, silent/)
  assert.match(problem('WS_PATH'), /WS_PATH=ws: must start with "\/"\. Fix: e\.g\. WS_PATH=\/ws/)
  assert.doesNotMatch(res.stderr, /invalid option|adminTokens|at Object|node_modules/, 'no plugin option names, no stack')
  assert.equal(res.stdout, '', 'nothing was started, so nothing was logged')
})

test('an unreachable DATABASE_URL: the variable, the reason and the fix, the password hidden', async () => {
  const res = await failedStart({ DATABASE_URL: 'postgres://lw:hunter2-secret@127.0.0.1:1/licensewire' })
  assert.equal(res.code, 1, res.stderr)
  assert.match(res.stderr, /^licensewire: cannot start, the environment has a problem:\n {2}- DATABASE_URL=postgres:\/\/lw:\*\*\*@127\.0\.0\.1:1\/licensewire: cannot use the database: nothing listens at that host and port \(ECONNREFUSED\)\. Fix: start Postgres there/)
  assert.ok(!`${res.stderr}${res.stdout}`.includes('hunter2'), 'the password is never printed')

  const notUrl = await failedStart({ DATABASE_URL: 'localhost:5432' })
  assert.equal(notUrl.code, 1)
  assert.match(notUrl.stderr, /DATABASE_URL: is not a postgres:\/\/ URL .*Fix: postgres:\/\/USER:PASSWORD@HOST:5432\/DATABASE/)
})

test('PGLITE_DATA_DIR that is a file, or cannot be created, fails fast with the fix', async t => {
  const dir = await tempDir(t)
  const file = join(dir, 'a-file')
  await writeFile(file, 'not a directory')
  // DATABASE_URL cleared: the real-Postgres run of the suite has one in its environment.
  const onFile = await failedStart({ DATABASE_URL: '', PGLITE_DATA_DIR: file })
  assert.equal(onFile.code, 1, onFile.stderr)
  assert.match(onFile.stderr, new RegExp(`PGLITE_DATA_DIR=${file}: is a file, not a directory\\. Fix: point it at a directory`))

  // Node 20's recursive mkdir never returns on /proc/nope: once it spun the CPU and ignored SIGTERM.
  const inProc = await failedStart({ DATABASE_URL: '', PGLITE_DATA_DIR: '/proc/nope' }, 30000)
  assert.equal(inProc.code, 1, inProc.stderr)
  assert.match(inProc.stderr, /PGLITE_DATA_DIR=\/proc\/nope: cannot create or use it \(ENOENT\)\. Fix: point it at a directory this user can write/)
  assert.ok(inProc.ms < 20000, `failed in ${inProc.ms} ms`)
})

test('one process per data directory: a second start is refused, a stale lock is taken over, SIGTERM frees it', async t => {
  const dir = join(await tempDir(t), 'pglite')
  const first = await spawnService({ DATABASE_URL: '', PGLITE_DATA_DIR: dir })
  let firstExited = false
  t.after(() => { if (!firstExited) first.child.kill('SIGKILL') })
  const lock = join(dir, 'licensewire.lock')
  assert.equal((await readFile(lock, 'utf8')).trim(), String(first.child.pid))

  const second = await failedStart({ DATABASE_URL: '', PGLITE_DATA_DIR: dir })
  assert.equal(second.code, 1, second.stderr)
  assert.match(second.stderr, new RegExp(`PGLITE_DATA_DIR=${dir}: is in use by process ${first.child.pid} \\(lock file ${lock}\\)\\. Fix: stop that process first`))
  assert.equal((await fetch(`${first.url}/readyz`)).status, 200, 'the first one is untouched')

  first.child.kill('SIGTERM')
  assert.equal(await first.exited, 0)
  firstExited = true
  assert.ok(!existsSync(lock), 'the lock goes with the process')

  // A lock left by a process that is gone (SIGKILL, a crash) does not keep the directory.
  const gone = spawn(process.execPath, ['-e', ''])
  await new Promise(resolve => gone.once('exit', resolve))
  await writeFile(lock, `${gone.pid}\n`)
  const third = await spawnService({ DATABASE_URL: '', PGLITE_DATA_DIR: dir })
  assert.equal((await readFile(lock, 'utf8')).trim(), String(third.child.pid))
  third.child.kill('SIGTERM')
  assert.equal(await third.exited, 0)
})

test('SIGTERM during the start (a fresh data directory) ends the process promptly and frees the directory', async t => {
  const dir = join(await tempDir(t), 'pglite')
  const child = spawn(process.execPath, ['--import', 'tsx', 'src/server.ts'], {
    env: { ...process.env, PORT: '0', HOST: '127.0.0.1', DATABASE_URL: '', PGLITE_DATA_DIR: dir },
    stdio: ['ignore', 'pipe', 'pipe']
  })
  let stderr = ''
  child.stderr.on('data', chunk => { stderr += chunk.toString() })
  const exited = new Promise<number | null>(resolve => child.once('exit', code => resolve(code)))
  t.after(() => { child.kill('SIGKILL') })
  const lock = join(dir, 'licensewire.lock')
  // The lock is taken before the database is created: the start is under way.
  while (!existsSync(lock)) await new Promise(resolve => setTimeout(resolve, 20))
  const sent = Date.now()
  child.kill('SIGTERM')
  assert.equal(await exited, 0)
  assert.ok(Date.now() - sent < 5000, `exited ${Date.now() - sent} ms after SIGTERM`)
  assert.match(stderr, /SIGTERM during start, stopping/)
  assert.ok(!existsSync(lock), 'the lock is released')
  // Nor does the process that sets up a new directory outlive it.
  const deadline = Date.now() + 10000
  while ((await processesNaming(dir)).length > 0) {
    assert.ok(Date.now() < deadline, `left running: ${(await processesNaming(dir)).join(', ')}`)
    await new Promise(resolve => setTimeout(resolve, 100))
  }
})

/** Pids of the processes whose command line names `text`. */
async function processesNaming (text: string): Promise<string[]> {
  const pids = (await readdir('/proc')).filter(name => /^\d+$/.test(name))
  const named = await Promise.all(pids.map(async pid => (await readFile(`/proc/${pid}/cmdline`, 'utf8').catch(() => '')).includes(text) ? pid : undefined))
  return named.filter((pid): pid is string => pid !== undefined)
}
