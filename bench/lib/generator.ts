import type { ChildProcess } from 'node:child_process'
import { join } from 'node:path'
import type { FromGenerator, FromWorker, ToWorker, WorkerJob } from '../load/messages.js'
import { cpuSeconds, spawnNode, waitExit } from './proc.js'

const running = new Set<ChildProcess>()

export function killAllGenerators (): void {
  for (const child of running) child.kill('SIGKILL')
}

type Kind = FromWorker['type']

/**
 * The orchestrator's side of the load generator: `processes` child processes
 * (bench/load/process.ts), each running some of the worker threads, jobs dealt
 * round-robin. Messages from workers are queued per worker until asked for.
 */
export class LoadGenerator {
  private readonly inbox = new Map<number, FromWorker[]>()
  private readonly waiters = new Set<() => void>()
  private failure: Error | undefined

  private constructor (private readonly children: ChildProcess[], private readonly jobs: WorkerJob[]) {}

  static start (root: string, jobs: WorkerJob[], processes: number): LoadGenerator {
    const count = Math.max(1, Math.min(processes, jobs.length))
    const children: ChildProcess[] = []
    const generator = new LoadGenerator(children, jobs)
    for (let p = 0; p < count; p++) {
      const child = spawnNode(['--import', 'tsx', join(root, 'bench/load/process.ts')], {
        cwd: root, stdio: ['ignore', 'inherit', 'inherit', 'ipc'], serialization: 'advanced'
      })
      running.add(child)
      child.once('exit', (code, signal) => {
        running.delete(child)
        if (code !== 0 && generator.failure === undefined) generator.fail(new Error(`generator process exited (${code ?? signal})`))
      })
      child.on('message', (m: FromGenerator) => generator.receive(m))
      child.send({ kind: 'spawn', jobs: jobs.filter(job => job.index % count === p) })
      children.push(child)
    }
    return generator
  }

  get pids (): number[] {
    return this.children.map(c => c.pid!).filter(pid => pid !== undefined)
  }

  cpuSeconds (): number {
    return this.pids.reduce((sum, pid) => sum + cpuSeconds(pid), 0)
  }

  private receive (m: FromGenerator): void {
    if (m.kind === 'exit') {
      if (m.code !== 0) this.fail(new Error(`load worker ${m.index} exited with code ${m.code}`))
      return
    }
    if (m.message.type === 'error') return this.fail(new Error(`load worker ${m.index}: ${m.message.message}`))
    const queue = this.inbox.get(m.index) ?? []
    queue.push(m.message)
    this.inbox.set(m.index, queue)
    this.wake()
  }

  private fail (err: Error): void {
    this.failure ??= err
    this.wake()
  }

  private wake (): void {
    for (const waiter of [...this.waiters]) waiter()
  }

  /** One message of `type` from every worker, in worker order. */
  async waitAll<K extends Kind> (type: K, timeoutMs: number): Promise<Extract<FromWorker, { type: K }>[]> {
    const deadline = Date.now() + timeoutMs
    while (true) {
      if (this.failure !== undefined) throw this.failure
      const found = this.jobs.map(job => this.inbox.get(job.index)?.find(m => m.type === type))
      if (found.every(m => m !== undefined)) {
        for (const job of this.jobs) {
          const queue = this.inbox.get(job.index)!
          queue.splice(queue.findIndex(m => m.type === type), 1)
        }
        return found as Extract<FromWorker, { type: K }>[]
      }
      const left = deadline - Date.now()
      if (left <= 0) throw new Error(`load workers: no '${type}' from every worker within ${timeoutMs} ms`)
      await new Promise<void>(resolve => {
        const done = (): void => { clearTimeout(timer); this.waiters.delete(done); resolve() }
        const timer = setTimeout(done, left)
        this.waiters.add(done)
      })
    }
  }

  broadcast (message: ToWorker): void {
    for (const child of this.children) if (child.connected) child.send({ kind: 'broadcast', message })
  }

  /** Workers close their sockets and exit; stragglers are killed after 20 s. */
  async stop (): Promise<void> {
    this.failure ??= new Error('stopped')
    this.broadcast({ type: 'stop' })
    await Promise.all(this.children.map(child => waitExit(child, 20_000)))
  }
}
