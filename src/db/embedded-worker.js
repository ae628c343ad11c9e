// Runs PGlite and its socket server off the main thread, so the WASM Postgres
// never blocks the event loop that serves WebSockets. Plain JavaScript: a worker
// does not inherit the TypeScript loader tests and `npm run dev` run under.
// Also runs as a child process (forked, the data directory as its argument), for a
// first start whose memory must go back to the system when it is done.
import { parentPort, workerData } from 'node:worker_threads'
import { PGlite } from '@electric-sql/pglite'
import { PGLiteSocketServer } from '@electric-sql/pglite-socket'

const dataDir = parentPort !== null ? workerData.dataDir : process.argv[2]
const post = message => parentPort !== null ? parentPort.postMessage(message) : process.send(message)
// A set-up process whose parent is gone (stopped during the start) ends too.
if (parentPort === null) process.once('disconnect', () => process.exit(0))
const onMessage = listener => parentPort !== null ? parentPort.on('message', listener) : process.on('message', listener)

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
post({ port: Number(port) })

onMessage(async message => {
  if (message !== 'stop') return
  await server.stop()
  await db.close()
  post({ stopped: true })
  // A child process has its IPC channel keeping it alive (and its end means: exit).
  if (parentPort === null) process.disconnect()
})
