// Runs PGlite and its socket server off the main thread, so the WASM Postgres
// never blocks the event loop that serves WebSockets. Plain JavaScript: a worker
// does not inherit the TypeScript loader tests and `npm run dev` run under.
import { parentPort, workerData } from 'node:worker_threads'
import { PGlite } from '@electric-sql/pglite'
import { PGLiteSocketServer } from '@electric-sql/pglite-socket'

const { dataDir } = workerData

// PGlite's own start parameters plus a small shared_buffers. Postgres' default of
// 128 MB is allocated inside the WebAssembly memory, which never shrinks; one
// process on an embedded database does not need it (see README, "Embedded database").
const startParams = [
  '--single', '-F', '-O', '-j',
  '-c', 'search_path=public', '-c', 'exit_on_error=false', '-c', 'log_checkpoints=false',
  '-c', 'max_worker_processes=0', '-c', 'max_parallel_workers=0', '-c', 'max_parallel_workers_per_gather=0',
  '-c', 'io_method=sync', '-c', 'max_parallel_maintenance_workers=0',
  '-c', 'shared_buffers=16MB'
]

const db = await PGlite.create(dataDir === 'memory' ? undefined : dataDir, { startParams })
// Two connections: the service pool (one client, PGlite runs one query at a time)
// and a spare for a listener or a one-off client.
const server = new PGLiteSocketServer({ db, host: '127.0.0.1', port: 0, maxConnections: 4 })
await server.start()
const [, port] = server.getServerConn().split(':')
parentPort?.postMessage({ port: Number(port) })

parentPort?.on('message', async message => {
  if (message !== 'stop') return
  await server.stop()
  await db.close()
  parentPort?.postMessage({ stopped: true })
})
