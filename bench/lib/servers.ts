import type { ChildProcess } from 'node:child_process'
import { mkdirSync, readdirSync, renameSync, rmSync } from 'node:fs'
import { join } from 'node:path'
import { pathToFileURL } from 'node:url'
import { cpuSeconds, freePort, rssBytes, sleep, spawnNode, waitExit } from './proc.js'

/**
 * licensewire, baseline (a) bare `ws`, baseline (b) `ws` + `pg`, baseline (c)
 * @fastify/static. With --leases: licensewire on apps with leases off, and baseline (a′),
 * bare `ws` answering with a lease it signed once per session.
 */
export type Target = 'licensewire' | 'licensewire-unsigned' | 'bare-ws' | 'bare-ws-leases' | 'ws-pg' | 'static'

export const LABEL: Record<Target, string> = {
  licensewire: 'licensewire',
  'licensewire-unsigned': 'licensewire, leases off',
  'bare-ws': 'baseline (a) bare ws',
  'bare-ws-leases': 'baseline (a′) bare ws + a lease signed once per session',
  'ws-pg': 'baseline (b) ws+pg',
  static: 'baseline (c) @fastify/static'
}

export interface Memory {
  /** VmRSS from /proc, after a full GC. */
  rss: number
  heapUsed: number
  heapTotal: number
  external: number
  arrayBuffers: number
}

/** Event-loop delay and GC pauses of the server since the previous ask (probe.mjs). */
export interface Loop {
  delayP99: number
  delayMax: number
  gc: { count: number, totalMs: number, maxMs: number, major: number }
}

export interface ServerSettings {
  root: string
  databaseUrl: string
  poolMax: number
  verbose: boolean
  /** Write a V8 CPU profile of the server (on exit) into this directory under this name. */
  cpuProfile?: { dir: string, name: string }
  /** Extra environment, over the defaults below (a scenario's own settings). */
  env?: Record<string, string>
}

export interface Server {
  target: Target
  pid: number
  /** http://host:port */
  url: string
  wsUrl: string
  /** Asks the server (over IPC, see probe.mjs) to collect garbage, then reads its memory. */
  memory: () => Promise<Memory>
  /** Event-loop delay and GC pauses since the last call. */
  loop: () => Promise<Loop>
  cpuSeconds: () => number
  /** Log lines the server printed (warn and above for licensewire). */
  logLines: () => string[]
  stop: () => Promise<void>
}

const running = new Set<ChildProcess>()

/** For the orchestrator's exit path: every server still running is killed. */
export function killAllServers (): void {
  for (const child of running) child.kill('SIGKILL')
}

/**
 * Starts one server under test in its own process: licensewire from the build
 * (dist/src/server.js, configured by env as the standalone service is), the
 * baselines through tsx. All of them get --expose-gc and the memory probe.
 */
export async function startServer (target: Target, settings: ServerSettings): Promise<Server> {
  const port = await freePort()
  const probe = pathToFileURL(join(settings.root, 'bench/lib/probe.mjs')).href
  const args = ['--expose-gc']
  const env: NodeJS.ProcessEnv = { ...process.env, PORT: String(port), HOST: '127.0.0.1' }
  let readyPath = '/healthz'
  // Each thread writes its own profile (with tsx, module hooks run on a second
  // thread), so they go to a directory of their own first; see keepMainProfile.
  const profileDir = settings.cpuProfile === undefined ? undefined : join(settings.cpuProfile.dir, `.${settings.cpuProfile.name}`)
  if (profileDir !== undefined) {
    mkdirSync(profileDir, { recursive: true })
    args.push('--cpu-prof', `--cpu-prof-dir=${profileDir}`)
  }
  if (target === 'licensewire' || target === 'licensewire-unsigned') {
    args.push('--import', probe, join(settings.root, 'dist/src/server.js'))
    Object.assign(env, {
      DATABASE_URL: settings.databaseUrl,
      DATABASE_POOL_MAX: String(settings.poolMax),
      // The bench measures the server, not its abuse guards: limits out of the way.
      RATE_LIMIT_PACKETS: '1000000000',
      RATE_LIMIT_WINDOW_MS: '1000',
      RATE_LIMIT_COOLDOWN_MS: '0',
      CONNECT_RATE_LIMIT_MAX: '1000000000',
      CONNECT_RATE_LIMIT_WINDOW_MS: '1000',
      // Every bench client comes from one address, and the bench may hold more sockets
      // than 80 % of the fd limit: the connection caps out of the way too.
      MAX_CONNECTIONS: '1000000000',
      MAX_CONNECTIONS_PER_IP: '1000000000',
      MAX_UNAUTHORIZED_PER_IP: '1000000000',
      LOG_LEVEL: 'warn'
    })
    delete env.ADMIN_TOKEN
    readyPath = '/readyz'
  } else {
    const file = target === 'bare-ws-leases' ? 'bare-ws' : target
    args.push('--import', 'tsx', '--import', probe, join(settings.root, `bench/baselines/${file}.ts`))
    if (target === 'bare-ws-leases') env.BARE_WS_LEASES = '1'
    if (target === 'ws-pg') Object.assign(env, { DATABASE_URL: settings.databaseUrl, DATABASE_POOL_MAX: String(settings.poolMax) })
  }
  Object.assign(env, settings.env)

  const child = spawnNode(args, { cwd: settings.root, env, stdio: ['ignore', 'pipe', 'pipe', 'ipc'] })
  running.add(child)
  const pid = child.pid!
  const log: string[] = []
  const collect = (chunk: Buffer): void => {
    for (const line of chunk.toString().split('\n')) {
      if (line.trim() === '' || / listening on /.test(line)) continue
      log.push(line)
      if (log.length > 200) log.shift()
      if (settings.verbose) process.stderr.write(`  [${target}] ${line}\n`)
    }
  }
  child.stdout!.on('data', collect)
  child.stderr!.on('data', collect)
  let exited = false
  let stopping = false
  child.once('exit', (code, signal) => {
    exited = true
    running.delete(child)
    if (!stopping) {
      log.push(`${target} exited unexpectedly (${signal ?? `code ${code}`})`)
      process.stderr.write(`  [${target}] exited unexpectedly (${signal ?? `code ${code}`}); last output:\n${log.slice(-10).map(l => `    ${l}`).join('\n')}\n`)
    }
  })

  const base = `http://127.0.0.1:${port}`
  const deadline = Date.now() + 60_000
  while (true) {
    if (exited) throw new Error(`${target} exited during start:\n${log.slice(-20).join('\n')}`)
    try {
      const res = await fetch(base + readyPath)
      if (res.ok) break
    } catch {
      // not listening yet
    }
    if (Date.now() > deadline) {
      child.kill('SIGKILL')
      throw new Error(`${target} not ready within 60 s:\n${log.slice(-20).join('\n')}`)
    }
    await sleep(100)
  }

  const ask = <T>(probe: string): Promise<T> => new Promise((resolve, reject) => {
    const timer = setTimeout(() => { child.off('message', onMessage); reject(new Error(`${target}: no '${probe}' probe answer`)) }, 30_000)
    const onMessage = (m: unknown): void => {
      if ((m as { probe?: string } | null)?.probe !== probe) return
      clearTimeout(timer)
      child.off('message', onMessage)
      resolve(m as T)
    }
    child.on('message', onMessage)
    child.send({ probe })
  })
  const memory = async (): Promise<Memory> => {
    const usage = await ask<Omit<Memory, 'rss'>>('memory')
    return { rss: rssBytes(pid), heapUsed: usage.heapUsed, heapTotal: usage.heapTotal, external: usage.external, arrayBuffers: usage.arrayBuffers }
  }

  return {
    target,
    pid,
    url: base,
    wsUrl: `ws://127.0.0.1:${port}/ws`,
    memory,
    loop: () => ask<Loop>('loop'),
    cpuSeconds: () => cpuSeconds(pid),
    logLines: () => [...log],
    stop: async () => {
      if (exited) return
      stopping = true
      // licensewire drains gracefully (1001, then releases its sessions) and, with
      // --cpu-prof, writes its profile on the way out.
      child.kill('SIGTERM')
      await waitExit(child, 30_000)
      if (profileDir !== undefined) keepMainProfile(profileDir, pid, join(settings.cpuProfile!.dir, settings.cpuProfile!.name))
    }
  }
}

/** Keeps the main thread's profile (CPU.<date>.<time>.<pid>.0.<seq>.cpuprofile) as `target`. */
function keepMainProfile (dir: string, pid: number, target: string): void {
  const main = readdirSync(dir).find(f => f.includes(`.${pid}.0.`) && f.endsWith('.cpuprofile'))
  if (main !== undefined) renameSync(join(dir, main), target)
  rmSync(dir, { recursive: true, force: true })
}
