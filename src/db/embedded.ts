import { fork } from 'node:child_process'
import { Worker } from 'node:worker_threads'
import { existsSync } from 'node:fs'
import { join } from 'node:path'
import { lockDataDir, prepareDataDir } from './data-dir.js'

export { DataDirError } from './data-dir.js'

export interface EmbeddedPostgres {
  connectionString: string
  stop: () => Promise<void>
}

/** Optional dependencies: a host with its own Postgres need not install them. */
const PGLITE_PACKAGES = ['@electric-sql/pglite', '@electric-sql/pglite-socket']

/** Fails with what to install, rather than with the worker's module-not-found error. */
function requirePglite (): void {
  const missing = PGLITE_PACKAGES.filter(name => {
    try {
      import.meta.resolve(name)
      return false
    } catch {
      return true
    }
  })
  if (missing.length === 0) return
  throw new Error(`licensewire: the embedded database (PGlite) is not installed (missing ${missing.join(', ')}). ` +
    `Install it with \`npm install ${PGLITE_PACKAGES.join(' ')}\`, or give licensewire a Postgres (DATABASE_URL, or the pool or connectionString option).`)
}

/** One PGlite in a worker thread behind a socket server. */
async function startWorker (dataDir: string): Promise<EmbeddedPostgres> {
  const worker = new Worker(new URL('./embedded-worker.js', import.meta.url), { workerData: { dataDir } })
  const port = await new Promise<number>((resolve, reject) => {
    worker.once('message', (m: { port: number }) => resolve(m.port))
    worker.once('error', reject)
    worker.once('exit', code => reject(new Error(`embedded Postgres worker exited with code ${code}`)))
  }).catch(async (err: unknown) => {
    await worker.terminate()
    throw err
  })
  worker.unref()
  let stopping: Promise<void> | undefined
  return {
    connectionString: `postgres://postgres@127.0.0.1:${port}/postgres?sslmode=disable`,
    stop: () => {
      stopping ??= new Promise<void>(resolve => {
        const timer = setTimeout(() => { void worker.terminate().then(() => resolve()) }, 5000)
        worker.once('message', () => { clearTimeout(timer); void worker.terminate().then(() => resolve()) })
        worker.postMessage('stop')
      })
      return stopping
    }
  }
}

/**
 * The same, in a child process: for a new directory's setup. initdb peaks at some
 * 800 MB, and memory a thread frees stays with the process; a process gives it back.
 */
async function startProcess (dataDir: string): Promise<EmbeddedPostgres> {
  const child = fork(new URL('./embedded-worker.js', import.meta.url), [dataDir], { stdio: ['ignore', 'ignore', 'inherit', 'ipc'], execArgv: [] })
  const exited = new Promise<void>(resolve => child.once('exit', () => resolve()))
  const port = await new Promise<number>((resolve, reject) => {
    child.once('message', m => resolve((m as { port: number }).port))
    child.once('error', reject)
    void exited.then(() => reject(new Error(`embedded Postgres set-up process exited with code ${child.exitCode}`)))
  }).catch(async (err: unknown) => {
    child.kill('SIGKILL')
    await exited
    throw err
  })
  return {
    connectionString: `postgres://postgres@127.0.0.1:${port}/postgres?sslmode=disable`,
    stop: async () => {
      const timer = setTimeout(() => child.kill('SIGKILL'), 5000)
      child.send('stop')
      await exited
      clearTimeout(timer)
    }
  }
}

export interface EmbeddedOptions {
  /**
   * Run once against a database directory that was just created (migrations, say),
   * in a process that then ends: what initdb and a first migration leave in the
   * WebAssembly memory (which never shrinks) goes with it, not with the server.
   */
  setup?: (connectionString: string) => Promise<void>
}

/**
 * Starts PGlite in a worker thread behind pglite-socket and returns a URL the `pg`
 * driver connects to, so embedded and real Postgres share one SQL path.
 * `dataDir` is a directory, or 'memory' for a throw-away database. A directory is
 * locked for this process until stop() (or the process exits); a second process
 * fails with a DataDirError, as does a directory that cannot be created or written.
 */
export async function startEmbeddedPostgres (dataDir: string, options: EmbeddedOptions = {}): Promise<EmbeddedPostgres> {
  requirePglite()
  if (dataDir === 'memory') return startWorker(dataDir)
  await prepareDataDir(dataDir)
  const lock = lockDataDir(dataDir)
  try {
    if (options.setup !== undefined && !existsSync(join(dataDir, 'PG_VERSION'))) {
      const first = await startProcess(dataDir)
      try {
        await options.setup(first.connectionString)
      } finally {
        await first.stop()
      }
    }
    const db = await startWorker(dataDir)
    return { connectionString: db.connectionString, stop: () => db.stop().finally(lock.release) }
  } catch (err) {
    lock.release()
    throw err
  }
}
