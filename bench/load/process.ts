/**
 * A load-generator process: runs worker threads (bench/load/worker.ts) and relays
 * messages between them and the orchestrator over IPC. Several of these run at
 * once so the generator's sockets are spread over processes (file limits) and its
 * work over event loops.
 */
import { Worker } from 'node:worker_threads'
import type { FromGenerator, ToGenerator } from './messages.js'

const workers: Worker[] = []

function send (message: FromGenerator): void {
  process.send?.(message)
}

// Worker threads do not inherit the tsx loader: register it inside each one first.
const workerUrl = new URL('./worker.ts', import.meta.url).href
const bootstrap = `import(${JSON.stringify(import.meta.resolve('tsx/esm/api'))})
  .then(tsx => { tsx.register(); return import(${JSON.stringify(workerUrl)}) })`

process.on('message', (message: ToGenerator) => {
  if (message.kind === 'spawn') {
    for (const job of message.jobs) {
      const worker = new Worker(bootstrap, { eval: true, workerData: job })
      worker.on('message', m => send({ kind: 'worker', index: job.index, message: m }))
      worker.on('error', err => send({ kind: 'worker', index: job.index, message: { type: 'error', message: err.stack ?? err.message } }))
      worker.on('exit', code => {
        send({ kind: 'exit', index: job.index, code })
        workers.splice(workers.indexOf(worker), 1)
        if (workers.length === 0) process.exit(0)
      })
      workers.push(worker)
    }
  } else if (message.kind === 'broadcast') {
    for (const worker of workers) worker.postMessage(message.message)
  }
})

// The orchestrator went away: nothing left to do.
process.on('disconnect', () => process.exit(0))
