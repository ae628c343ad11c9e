import { spawn, type ChildProcess } from 'node:child_process'
import { createInterface } from 'node:readline'

export interface ServiceProcess {
  child: ChildProcess
  port: number
  url: string
  wsUrl: string
  /** Every log line the process printed, parsed. */
  logs: Record<string, unknown>[]
  exited: Promise<number | null>
}

/** The standalone service (src/server.ts) in a child process, on a free port. */
export async function spawnService (env: Record<string, string>): Promise<ServiceProcess> {
  const child = spawn(process.execPath, ['--import', 'tsx', 'src/server.ts'], {
    // All clients come from one loopback address: per-IP connection limits out of the way.
    env: { ...process.env, PORT: '0', HOST: '127.0.0.1', LOG_LEVEL: 'info', MAX_CONNECTIONS_PER_IP: '100000', MAX_UNAUTHORIZED_PER_IP: '100000', ...env },
    stdio: ['ignore', 'pipe', 'pipe']
  })
  const logs: Record<string, unknown>[] = []
  const exited = new Promise<number | null>(resolve => child.once('exit', code => resolve(code)))
  let stderr = ''
  child.stderr!.on('data', chunk => { stderr += chunk.toString() })
  const port = await new Promise<number>((resolve, reject) => {
    // A first start compiles PGlite's WebAssembly: tens of seconds on a busy machine.
    const timer = setTimeout(() => reject(new Error(`service did not start: ${stderr}`)), 150000)
    createInterface({ input: child.stdout! }).on('line', line => {
      let entry: Record<string, unknown>
      try { entry = JSON.parse(line) as Record<string, unknown> } catch { return }
      logs.push(entry)
      const match = /^Server listening at http:\/\/127\.0\.0\.1:(\d+)$/.exec(String(entry.msg))
      if (match !== null) { clearTimeout(timer); resolve(Number(match[1])) }
    })
    void exited.then(code => reject(new Error(`service exited with ${code}: ${stderr}`)))
  }).catch((err: unknown) => {
    // Left running, its pipes would keep the test process from ever exiting.
    child.kill('SIGKILL')
    throw err
  })
  return { child, port, url: `http://127.0.0.1:${port}`, wsUrl: `ws://127.0.0.1:${port}/ws`, logs, exited }
}

export interface FailedStart {
  code: number | null
  stdout: string
  stderr: string
  /** Milliseconds from spawn to exit. */
  ms: number
}

/** The service started with an environment it must refuse: how it exits, and how fast. */
export async function failedStart (env: Record<string, string>, timeoutMs = 60000): Promise<FailedStart> {
  const started = Date.now()
  const child = spawn(process.execPath, ['--import', 'tsx', 'src/server.ts'], {
    env: { ...process.env, PORT: '0', HOST: '127.0.0.1', LOG_LEVEL: 'info', ...env },
    stdio: ['ignore', 'pipe', 'pipe']
  })
  let stdout = ''
  let stderr = ''
  child.stdout!.on('data', chunk => { stdout += chunk.toString() })
  child.stderr!.on('data', chunk => { stderr += chunk.toString() })
  const timer = setTimeout(() => child.kill('SIGKILL'), timeoutMs)
  const code = await new Promise<number | null>(resolve => child.once('exit', c => resolve(c)))
  clearTimeout(timer)
  return { code, stdout, stderr, ms: Date.now() - started }
}
