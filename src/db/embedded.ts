import { Worker } from 'node:worker_threads'
import { existsSync, mkdirSync } from 'node:fs'

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

/**
 * Starts PGlite in a worker thread behind pglite-socket and returns a URL the `pg`
 * driver connects to, so embedded and real Postgres share one SQL path.
 * `dataDir` is a directory, or 'memory' for a throw-away database.
 */
export async function startEmbeddedPostgres (dataDir: string): Promise<EmbeddedPostgres> {
  requirePglite()
  if (dataDir !== 'memory' && !existsSync(dataDir)) mkdirSync(dataDir, { recursive: true })
  const worker = new Worker(new URL('./embedded-worker.js', import.meta.url), { workerData: { dataDir } })
  const port = await new Promise<number>((resolve, reject) => {
    worker.once('message', (m: { port: number }) => resolve(m.port))
    worker.once('error', reject)
    worker.once('exit', code => reject(new Error(`embedded Postgres worker exited with code ${code}`)))
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
