/**
 * `npm run bench`: licensewire against baselines measured in the same run.
 *
 *   npm run bench [-- --quick] [--only=1,6,7,8,9,10,11] [--rounds=N] [--procs=N] [--threads=N]
 *                 [--pool=N] [--cpu-prof[=all]] [--no-build] [--verbose] [--s3-rate=N] [--leases]
 *
 * Servers under test run in their own processes (licensewire from dist/, built
 * first; the baselines from bench/baselines/), the load generator in worker threads
 * of separate generator processes. Postgres is DATABASE_URL or a throw-away local
 * cluster. Each load scenario runs licensewire and its baseline alternately for
 * `rounds` rounds and reports medians. See bench/README.md.
 */
import { spawnSync } from 'node:child_process'
import { createHash, randomBytes } from 'node:crypto'
import { existsSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs'
import os from 'node:os'
import { dirname, join, relative, resolve } from 'node:path'
import { fileURLToPath } from 'node:url'
import type { Go, Identity, Scenario, WorkerJob, WorkerResult } from './load/messages.js'
import { fetchBody, parallelDownloads, presignedUrl, uploadFile, type DownloadFigures } from './lib/downloads.js'
import { LoadGenerator, killAllGenerators } from './lib/generator.js'
import { Histogram, type LatencySummary } from './lib/histogram.js'
import { authorizedCounts, openDatabase, resetData, seedAccounts, seedApps, stopCluster, type Database } from './lib/postgres.js'
import { cpuSeconds, machineCpu, sleep } from './lib/proc.js'
import { kib, median, mib, ms, num, ratio, renderTable, type Row } from './lib/report.js'
import { LABEL, killAllServers, startServer, type Loop, type Memory, type Server, type Target } from './lib/servers.js'

const ROOT = resolve(dirname(fileURLToPath(import.meta.url)), '..')
const RESULTS = join(ROOT, 'bench/results')
const PG_DIR = process.env.BENCH_PG_DIR ?? '/tmp/licensewire-bench-pg'

// --- options and plan -------------------------------------------------------------

interface Options {
  quick: boolean
  only: Set<number>
  rounds: number
  procs: number
  threads: number
  poolMax: number
  cpuProf: 'off' | 'licensewire' | 'all'
  build: boolean
  verbose: boolean
  s3Rate: number | undefined
  /** Apps made by seedApps have signed_leases on: licensewire signs its Ok answers of 2 and 15. */
  leases: boolean
}

function parseOptions (argv: string[]): Options {
  const value = (name: string): string | undefined => {
    const arg = argv.find(a => a === `--${name}` || a.startsWith(`--${name}=`))
    return arg === undefined ? undefined : arg.includes('=') ? arg.slice(arg.indexOf('=') + 1) : ''
  }
  const int = (name: string, def: number): number => {
    const raw = value(name)
    if (raw === undefined) return def
    const n = Number(raw)
    if (!Number.isInteger(n) || n < 1) throw new Error(`--${name} needs a positive integer, got "${raw}"`)
    return n
  }
  const known = ['quick', 'only', 'rounds', 'procs', 'threads', 'pool', 'cpu-prof', 'no-build', 'verbose', 's3-rate', 'leases', 'help']
  for (const arg of argv) {
    if (!known.some(k => arg === `--${k}` || arg.startsWith(`--${k}=`))) throw new Error(`unknown argument ${arg} (see bench/README.md)`)
  }
  const quick = value('quick') !== undefined
  const only = new Set((value('only') ?? '1,2,3,4,5,6,7,8,9,10,11').split(',').filter(s => s !== '').map(Number))
  for (const n of only) if (!(Number.isInteger(n) && n >= 1 && n <= 11)) throw new Error(`--only: no scenario ${n}`)
  const prof = value('cpu-prof')
  return {
    quick,
    only,
    rounds: int('rounds', quick ? 1 : 3),
    procs: int('procs', 2),
    threads: int('threads', 1),
    poolMax: int('pool', 20),
    cpuProf: prof === undefined ? 'off' : prof === 'all' ? 'all' : 'licensewire',
    build: value('no-build') === undefined,
    verbose: value('verbose') !== undefined,
    s3Rate: value('s3-rate') === undefined ? undefined : int('s3-rate', 1),
    leases: value('leases') !== undefined
  }
}

interface Timing {
  warmupMs: number
  measureMs: number
}

const FULL = {
  s1: { sockets: 1000, warmupMs: 3000, measureMs: 10_000 },
  s2: { concurrency: 64, apps: 100, hotShare: 0.5, identities: 2048, warmupMs: 3000, measureMs: 10_000 },
  // Every run starts a fresh server process. At this load one needs 2–4 s before its
  // latency settles (JIT, pool growth); a shorter warm-up measures that start-up
  // backlog draining instead of the steady state, on both sides.
  s3: { identities: 4096, warmupMs: 6000, measureMs: 10_000 },
  s4: { sockets: 10_000, warmSockets: 500 },
  s5: { sockets: 5000, slots: 1000 },
  s6: { sockets: 1000, warmupMs: 3000, measureMs: 10_000 },
  s7: { accounts: 2048, concurrency: 32, warmupMs: 3000, measureMs: 10_000 },
  s8: { sockets: 500, intervalMs: 1000, stormClients: 200, accounts: 2048, warmupMs: 3000, measureMs: 10_000 },
  s9: { sizeMiB: 64, clients: 8 },
  s10: { concurrency: 64, apps: 100, hotShare: 0.5, identities: 2048, warmupMs: 3000, measureMs: 10_000 },
  s11: { sockets: 2000 }
}
const QUICK: typeof FULL = {
  s1: { sockets: 200, warmupMs: 1000, measureMs: 3000 },
  s2: { concurrency: 16, apps: 20, hotShare: 0.5, identities: 512, warmupMs: 1000, measureMs: 3000 },
  s3: { identities: 1024, warmupMs: 2000, measureMs: 3000 },
  s4: { sockets: 1000, warmSockets: 100 },
  s5: { sockets: 500, slots: 100 },
  s6: { sockets: 200, warmupMs: 1000, measureMs: 3000 },
  s7: { accounts: 256, concurrency: 8, warmupMs: 1000, measureMs: 3000 },
  s8: { sockets: 500, intervalMs: 1000, stormClients: 200, accounts: 512, warmupMs: 2000, measureMs: 5000 },
  // The bars are about one 64 MiB file: quick runs it once instead of in 3 rounds.
  s9: { sizeMiB: 64, clients: 8 },
  s10: { concurrency: 16, apps: 20, hotShare: 0.5, identities: 512, warmupMs: 1000, measureMs: 3000 },
  s11: { sockets: 500 }
}
type Plan = typeof FULL

// --- shared run machinery ------------------------------------------------------------

interface Cpu {
  /** Cores busy on average during the measurement window (1 = one core). */
  server: number
  postgres: number
  generator: number
  /** Everything else on the machine (other tenants, the orchestrator, the kernel). */
  other: number
}

interface LoadFigures {
  target: Target
  round: number
  throughput: number
  ok: number
  failed: number
  statuses: Record<string, number>
  latency: LatencySummary
  cpu: Cpu
  /** The server's event-loop delay and GC pauses during the window. */
  loop: Loop
  started?: number
  dropped?: number
  /** Median of each session phase (establish, fixedRate), ms. */
  phases?: { connect: LatencySummary, upgrade: LatencySummary, initialize: LatencySummary, authorize: LatencySummary }
  /** Worst event-loop delay of any generator worker during the window, ms. */
  generatorLoop?: { p99: number, max: number }
  notes: string[]
}

let db: Database
let options: Options
let plan: Plan
let stamp: string

function log (line: string): void {
  process.stdout.write(`${line}\n`)
}

function workerCount (): number {
  return options.procs * options.threads
}

/** Deals items round-robin into `n` hands. */
function deal<T> (items: T[], n: number): T[][] {
  const hands: T[][] = Array.from({ length: n }, () => [])
  items.forEach((item, i) => hands[i % n]!.push(item))
  return hands
}

/** Deterministic shuffle (mulberry32), so every run sees the same identity order. */
function shuffle<T> (items: T[], seed = 42): T[] {
  let a = seed
  const rand = (): number => {
    a = (a + 0x6D2B79F5) | 0
    let t = Math.imul(a ^ (a >>> 15), 1 | a)
    t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296
  }
  const out = [...items]
  for (let i = out.length - 1; i > 0; i--) {
    const j = Math.floor(rand() * (i + 1))
    ;[out[i], out[j]] = [out[j]!, out[i]!]
  }
  return out
}

function jobs (scenario: Scenario, url: string, identities: Identity[], per: (hand: Identity[]) => Partial<WorkerJob>, workers = workerCount()): WorkerJob[] {
  return deal(identities, workers).map((hand, index) => ({
    scenario, url, index, workers, identities: hand, setupConcurrency: 50, ...per(hand)
  }))
}

async function withServer<T> (target: Target, name: string, fn: (server: Server) => Promise<T>, env?: Record<string, string>): Promise<T> {
  const profile = options.cpuProf === 'all' || (options.cpuProf === 'licensewire' && target === 'licensewire')
  const server = await startServer(target, {
    root: ROOT,
    databaseUrl: db.url,
    poolMax: options.poolMax,
    verbose: options.verbose,
    env,
    cpuProfile: profile ? { dir: join(RESULTS, 'profiles', stamp), name: `${name}-${target}.cpuprofile` } : undefined
  })
  try {
    return await fn(server)
  } finally {
    await server.stop()
    const lines = server.logLines()
    if (lines.length > 0 && !options.verbose) {
      log(`    ${target} logged ${lines.length} line(s) at warn or above, e.g. ${lines[0]!.slice(0, 300)}`)
    }
  }
}

interface CpuSnapshot { at: number, server: number, postgres: Map<number, number>, generator: number, machine: number }

function snapshot (server: Server, generator: LoadGenerator): CpuSnapshot {
  return {
    at: performance.now(),
    server: server.cpuSeconds(),
    postgres: new Map(db.pids().map(pid => [pid, cpuSeconds(pid)])),
    generator: generator.cpuSeconds(),
    machine: machineCpu().busy
  }
}

function cpuBetween (a: CpuSnapshot, b: CpuSnapshot): Cpu {
  const wall = (b.at - a.at) / 1000
  const server = (b.server - a.server) / wall
  // Per backend, so one that exited meanwhile (an earlier server's pool) does not count negative.
  let pg = 0
  for (const [pid, seconds] of b.postgres) pg += seconds - (a.postgres.get(pid) ?? 0)
  const postgres = pg / wall
  const generator = (b.generator - a.generator) / wall
  return { server, postgres, generator, other: Math.max(0, (b.machine - a.machine) / wall - server - postgres - generator) }
}

function merge (results: WorkerResult[]): { ok: number, failed: number, statuses: Record<string, number>, latency: Histogram, notes: string[], started: number, dropped: number, phases?: LoadFigures['phases'], generatorLoop?: LoadFigures['generatorLoop'] } {
  const phase = (key: 'connect' | 'upgrade' | 'initialize' | 'authorize'): LatencySummary => {
    const h = new Histogram()
    for (const r of results) if (r.phases !== undefined) h.merge(r.phases[key])
    return h.summary()
  }
  const phases = results.some(r => r.phases !== undefined)
    ? { connect: phase('connect'), upgrade: phase('upgrade'), initialize: phase('initialize'), authorize: phase('authorize') }
    : undefined
  const loops = results.flatMap(r => r.generatorLoop === undefined ? [] : [r.generatorLoop])
  const generatorLoop = loops.length > 0 ? { p99: Math.max(...loops.map(l => l.p99)), max: Math.max(...loops.map(l => l.max)) } : undefined
  const latency = new Histogram()
  const statuses: Record<string, number> = {}
  let ok = 0
  let failed = 0
  let started = 0
  let dropped = 0
  const notes: string[] = []
  for (const r of results) {
    ok += r.ok
    failed += r.failed
    started += r.started ?? 0
    dropped += r.dropped ?? 0
    latency.merge(r.latency)
    for (const [k, v] of Object.entries(r.statuses)) statuses[k] = (statuses[k] ?? 0) + v
    for (const n of r.notes) if (notes.length < 5) notes.push(n)
  }
  return { ok, failed, statuses, latency, notes, started, dropped, phases, generatorLoop }
}

/** Sets up the workers, runs warm-up + measurement, and reports the window's figures. */
async function measureLoad (server: Server, round: number, workerJobs: WorkerJob[], timing: Timing, alsoGo?: (go: Go) => void): Promise<LoadFigures> {
  const generator = LoadGenerator.start(ROOT, workerJobs, options.procs)
  try {
    const ready = await generator.waitAll('ready', 300_000)
    const setupFailed = ready.reduce((sum, r) => sum + r.failed, 0)
    if (setupFailed > 0) log(`    setup: ${setupFailed} session(s) failed to open, e.g. ${ready.flatMap(r => r.notes)[0] ?? ''}`)
    const startAt = Date.now() + 300
    const go: Go = { type: 'go', startAt, warmupMs: timing.warmupMs, measureMs: timing.measureMs }
    generator.broadcast(go)
    alsoGo?.(go)
    await sleep(startAt - Date.now() + timing.warmupMs)
    const first = snapshot(server, generator)
    await server.loop()
    await sleep(timing.measureMs)
    const last = snapshot(server, generator)
    const loop = await server.loop()
    const results = await generator.waitAll('result', timing.measureMs + 120_000)
    const m = merge(results.map(r => r.result))
    return {
      target: server.target,
      round,
      throughput: m.ok / (timing.measureMs / 1000),
      ok: m.ok,
      failed: m.failed,
      statuses: m.statuses,
      latency: m.latency.summary(),
      cpu: cpuBetween(first, last),
      loop,
      started: m.started,
      dropped: m.dropped,
      phases: m.phases,
      generatorLoop: m.generatorLoop,
      notes: [...ready.flatMap(r => r.notes).slice(0, 2), ...m.notes]
    }
  } finally {
    await generator.stop()
  }
}

const phase = (l: LatencySummary): string => `${ms(l.p50)}/${ms(l.p99)}`

function describe (f: LoadFigures, unit: string): string {
  const c = f.cpu
  const failures = f.failed > 0 ? `, ${num(f.failed)} failed (${Object.entries(f.statuses).filter(([k]) => k !== '1').map(([k, v]) => `${k}: ${v}`).join(', ')})` : ''
  return `${num(f.throughput)} ${unit}, p50 ${ms(f.latency.p50)}, p99 ${ms(f.latency.p99)}, max ${ms(f.latency.max)}${failures}` +
    ` | cores: server ${c.server.toFixed(2)}, postgres ${c.postgres.toFixed(2)}, generator ${c.generator.toFixed(2)}, other ${c.other.toFixed(2)}` +
    ` | server loop delay p99 ${ms(f.loop.delayP99)}, max ${ms(f.loop.delayMax)}; GC ${f.loop.gc.count} pauses (${f.loop.gc.major} major), max ${ms(f.loop.gc.maxMs)}` +
    (f.generatorLoop !== undefined ? ` | generator loop delay max ${ms(f.generatorLoop.max)}` : '') +
    (f.phases !== undefined ? ` | phases p50/p99: connect ${phase(f.phases.connect)}, upgrade ${phase(f.phases.upgrade)}, initialize ${phase(f.phases.initialize)}, authorize ${phase(f.phases.authorize)}` : '')
}

/** Rounds alternate the order, so a noisy stretch of the machine hits both sides. */
async function alternate<T> (targets: Target[], rounds: number, run: (target: Target, round: number) => Promise<T>): Promise<Record<Target, T[]>> {
  const out = Object.fromEntries(Object.keys(LABEL).map(t => [t, []])) as unknown as Record<Target, T[]>
  for (let round = 1; round <= rounds; round++) {
    const order = round % 2 === 1 ? targets : [...targets].reverse()
    for (const target of order) out[target].push(await run(target, round))
  }
  return out
}

// --- fixtures ------------------------------------------------------------------------

/** Licenses over `apps` apps: `hotShare` of them in app 0, the rest spread evenly; shuffled. */
async function seedSpread (identities: number, apps: number, hotShare: number, leases = options.leases): Promise<Identity[]> {
  const hot = Math.round(identities * hotShare)
  const perCold = Math.ceil((identities - hot) / Math.max(1, apps - 1))
  const seeded = await seedApps(db.pool, Array.from({ length: apps }, (_, i) => ({
    sessionLimit: 1_000_000, licenses: i === 0 ? hot : perCold
  })), leases)
  const cold = seeded.slice(1).flatMap(a => a.identities).slice(0, identities - hot)
  return shuffle([...seeded[0]!.identities, ...cold])
}

// --- scenarios -----------------------------------------------------------------------

const results: Record<string, unknown> = {}
const rows: Row[] = []

function latencyRows (scenario: string, lw: LatencySummary[], base: LatencySummary[], extra: Partial<Record<'p99', Pick<Row, 'bar' | 'result'>>> = {}): void {
  for (const key of ['p50', 'p99', 'max'] as const) {
    const a = median(lw.map(l => l[key]))
    const b = median(base.map(l => l[key]))
    rows.push({ scenario, metric: `${key} latency`, licensewire: ms(a), baseline: ms(b), ratio: ratio(a, b), bar: extra[key as 'p99']?.bar ?? '', result: extra[key as 'p99']?.result ?? '' })
  }
}

/** Where the machine went, and whether the server's own event loop stalled. */
function cpuRow (scenario: string, lw: LoadFigures[], base: LoadFigures[]): void {
  const fmt = (f: LoadFigures[]): string => `${median(f.map(x => x.cpu.server)).toFixed(2)} / ${median(f.map(x => x.cpu.postgres)).toFixed(2)}`
  rows.push({ scenario, metric: 'cores: server / postgres', licensewire: fmt(lw), baseline: fmt(base), ratio: '', bar: '', result: '' })
  const loop = (f: LoadFigures[]): string => `${ms(median(f.map(x => x.loop.delayP99)))} / ${ms(Math.max(...f.map(x => x.loop.delayMax)))}`
  rows.push({ scenario, metric: 'server loop delay p99 / max', licensewire: loop(lw), baseline: loop(base), ratio: '', bar: '', result: '' })
  if (lw[0]?.phases !== undefined && base[0]?.phases !== undefined) {
    for (const key of ['connect', 'upgrade', 'initialize', 'authorize'] as const) {
      const at = (f: LoadFigures[], q: 'p50' | 'p99'): number => median(f.map(x => x.phases![key][q]))
      rows.push({ scenario, metric: `${key} phase p50 / p99`, licensewire: `${ms(at(lw, 'p50'))} / ${ms(at(lw, 'p99'))}`, baseline: `${ms(at(base, 'p50'))} / ${ms(at(base, 'p99'))}`, ratio: ratio(at(lw, 'p50'), at(base, 'p50')), bar: '', result: '' })
    }
  }
}

async function scenario1 (): Promise<void> {
  const p = plan.s1
  log(`\n== scenario 1: in-session packets — ${num(p.sockets)} authorized sockets sending type 15 in a closed loop (vs baseline (a))`)
  const targets: Target[] = options.leases ? ['licensewire', 'bare-ws', 'bare-ws-leases'] : ['licensewire', 'bare-ws']
  const runs = await alternate(targets, options.rounds, async (target, round) => {
    await resetData(db.pool)
    const [app] = await seedApps(db.pool, [{ sessionLimit: 1_000_000, licenses: p.sockets }], options.leases)
    const figures = await withServer(target, `s1-r${round}`, server =>
      measureLoad(server, round, jobs('inSession', server.wsUrl, app!.identities, hand => ({ sockets: hand.length })), p))
    log(`  round ${round} ${LABEL[target]}: ${describe(figures, 'packets/s')}`)
    return figures
  })
  const lw = median(runs.licensewire.map(r => r.throughput))
  const base = median(runs['bare-ws'].map(r => r.throughput))
  const pass = lw / base >= 0.85
  rows.push({ scenario: '1 in-session (type 15)', metric: 'throughput (packets/s)', licensewire: num(lw), baseline: `${num(base)} (a)`, ratio: ratio(lw, base), bar: '≥ 0.85× (a)', result: pass ? 'PASS' : 'FAIL' })
  // What the lease's bytes cost any server: (a) answering with the same lease it signed once.
  const signedOnce = options.leases ? median(runs['bare-ws-leases'].map(r => r.throughput)) : undefined
  if (signedOnce !== undefined) rows.push({ scenario: '', metric: 'throughput vs (a′)', licensewire: num(lw), baseline: `${num(signedOnce)} (a′)`, ratio: ratio(lw, signedOnce), bar: '', result: '' })
  latencyRows('', runs.licensewire.map(r => r.latency), runs['bare-ws'].map(r => r.latency))
  cpuRow('', runs.licensewire, runs['bare-ws'])
  results.scenario1 = { plan: p, runs, median: { licensewire: lw, baseline: base, signedOnce }, pass }
}

async function scenario6 (): Promise<void> {
  const p = plan.s6
  log(`\n== scenario 6: session values — ${num(p.sockets)} authorized sockets alternating type 12 (set) and 13 (get) in a closed loop (vs baseline (a) answering from a Map)`)
  const runs = await alternate(['licensewire', 'bare-ws'], options.rounds, async (target, round) => {
    await resetData(db.pool)
    const [app] = await seedApps(db.pool, [{ sessionLimit: 1_000_000, licenses: p.sockets }])
    const figures = await withServer(target, `s6-r${round}`, server =>
      measureLoad(server, round, jobs('values', server.wsUrl, app!.identities, hand => ({ sockets: hand.length })), p))
    log(`  round ${round} ${LABEL[target]}: ${describe(figures, 'packets/s')}`)
    return figures
  })
  const lw = median(runs.licensewire.map(r => r.throughput))
  const base = median(runs['bare-ws'].map(r => r.throughput))
  const pass = lw / base >= 0.85
  rows.push({ scenario: '6 session values (12/13)', metric: 'throughput (packets/s)', licensewire: num(lw), baseline: `${num(base)} (a)`, ratio: ratio(lw, base), bar: '≥ 0.85× (a)', result: pass ? 'PASS' : 'FAIL' })
  latencyRows('', runs.licensewire.map(r => r.latency), runs['bare-ws'].map(r => r.latency))
  cpuRow('', runs.licensewire, runs['bare-ws'])
  results.scenario6 = { plan: p, runs, median: { licensewire: lw, baseline: base }, pass }
}

async function establishRuns (name: string, rounds: number, timing: Timing, targets: Target[] = ['licensewire', 'ws-pg']): Promise<Record<Target, LoadFigures[]>> {
  const p = plan.s2
  return alternate(targets, rounds, async (target, round) => {
    await resetData(db.pool)
    const identities = await seedSpread(p.identities, p.apps, p.hotShare, options.leases && target !== 'licensewire-unsigned')
    const workers = workerCount()
    const figures = await withServer(target, `${name}-r${round}`, server =>
      measureLoad(server, round, jobs('establish', server.wsUrl, identities, () => ({ concurrency: Math.max(1, Math.round(p.concurrency / workers)) })), timing))
    log(`  round ${round} ${LABEL[target]}: ${describe(figures, 'sessions/s')}`)
    return figures
  })
}

let s2LicensewireMax: number | undefined

async function scenario2 (): Promise<void> {
  const p = plan.s2
  log(`\n== scenario 2: session establishment — connect → Initialize → Authorize → close, ${p.concurrency} clients in a closed loop,` +
    ` ${num(p.identities)} licenses over ${p.apps} apps, ${Math.round(p.hotShare * 100)} % in one hot app (vs baseline (b))`)
  const runs = await establishRuns('s2', options.rounds, p, options.leases ? ['licensewire', 'ws-pg', 'licensewire-unsigned'] : undefined)
  const lw = median(runs.licensewire.map(r => r.throughput))
  const base = median(runs['ws-pg'].map(r => r.throughput))
  s2LicensewireMax = lw
  const pass = lw / base >= 0.9
  rows.push({ scenario: '2 session establishment', metric: 'throughput (sessions/s)', licensewire: num(lw), baseline: `${num(base)} (b)`, ratio: ratio(lw, base), bar: '≥ 0.90× (b)', result: pass ? 'PASS' : 'FAIL' })
  const unsigned = options.leases ? median(runs['licensewire-unsigned'].map(r => r.throughput)) : undefined
  if (unsigned !== undefined) {
    // Issue 15's bar: signing at Authorize costs establishment at most a tenth.
    const leasesPass = lw / unsigned >= 0.9
    rows.push({ scenario: '', metric: 'leases on vs off', licensewire: num(lw), baseline: `${num(unsigned)} leases off`, ratio: ratio(lw, unsigned), bar: '≥ 0.90× leases off', result: leasesPass ? 'PASS' : 'FAIL' })
  }
  latencyRows('', runs.licensewire.map(r => r.latency), runs['ws-pg'].map(r => r.latency))
  cpuRow('', runs.licensewire, runs['ws-pg'])
  results.scenario2 = { plan: p, runs, median: { licensewire: lw, baseline: base, leasesOff: unsigned }, pass, leasesPass: unsigned === undefined ? undefined : lw / unsigned >= 0.9, latencyMeasures: 'connect start → Authorize answer' }
}

async function scenario3 (): Promise<void> {
  const p = plan.s3
  let rate = options.s3Rate
  let source = '--s3-rate'
  if (rate === undefined) {
    if (s2LicensewireMax === undefined) {
      log('\n== scenario 3 needs the maximum of scenario 2: measuring licensewire alone once (shorter) to calibrate')
      const calibration = await establishRuns('s3-calibration', 1, { warmupMs: 2000, measureMs: 5000 }, ['licensewire'])
      s2LicensewireMax = median(calibration.licensewire.map(r => r.throughput))
      source = 'half of a calibration run of scenario 2'
    } else {
      source = 'half of scenario 2\'s licensewire median'
    }
    rate = Math.max(1, Math.round(s2LicensewireMax / 2))
  }
  log(`\n== scenario 3: latency at a fixed offered load of ${num(rate)} sessions/s (${source}), open loop, same workload as scenario 2 (vs baseline (b))`)
  const workers = workerCount()
  const runs = await alternate(['licensewire', 'ws-pg'], options.rounds, async (target, round) => {
    await resetData(db.pool)
    const identities = await seedSpread(p.identities, plan.s2.apps, plan.s2.hotShare)
    const figures = await withServer(target, `s3-r${round}`, server =>
      measureLoad(server, round, jobs('fixedRate', server.wsUrl, identities, () => ({ rate: rate! / workers })), p))
    log(`  round ${round} ${LABEL[target]}: ${describe(figures, 'sessions/s')}${figures.dropped! > 0 ? `, ${figures.dropped} dropped` : ''}`)
    return figures
  })
  const lwP99 = median(runs.licensewire.map(r => r.latency.p99))
  const pass = lwP99 <= 25
  const lwTput = median(runs.licensewire.map(r => r.throughput))
  const baseTput = median(runs['ws-pg'].map(r => r.throughput))
  rows.push({ scenario: '3 fixed load', metric: `offered load (sessions/s)`, licensewire: num(rate), baseline: `${num(rate)} (b)`, ratio: '', bar: '½ max of 2', result: '' })
  rows.push({ scenario: '', metric: 'achieved (sessions/s)', licensewire: num(lwTput), baseline: num(baseTput), ratio: ratio(lwTput, baseTput), bar: '', result: '' })
  latencyRows('', runs.licensewire.map(r => r.latency), runs['ws-pg'].map(r => r.latency), { p99: { bar: '≤ 25 ms', result: pass ? 'PASS' : 'FAIL' } })
  cpuRow('', runs.licensewire, runs['ws-pg'])
  results.scenario3 = { plan: p, rate, rateSource: source, runs, median: { p99: lwP99 }, pass, latencyMeasures: 'scheduled start → Authorize answer' }
}

interface MemoryFigures {
  target: Target
  sessions: number
  setupFailed: number
  before: Memory
  after: Memory
  rssPerSession: number
  heapPerSession: number
  dbAuthorized?: { counter: number, rows: number }
}

async function scenario4 (): Promise<void> {
  const p = plan.s4
  const processes = Math.max(2, options.procs)
  log(`\n== scenario 4: ${num(p.sockets)} idle authorized sessions, generator sockets in ${processes} processes (vs baseline (a) holding as many idle sockets)`)
  const runs = await alternate(['licensewire', 'bare-ws'], 1, async target => {
    await resetData(db.pool)
    const [app] = await seedApps(db.pool, [{ sessionLimit: p.sockets + p.warmSockets + 100, licenses: p.sockets + p.warmSockets }], options.leases)
    const warm = app!.identities.slice(0, p.warmSockets)
    const held = app!.identities.slice(p.warmSockets)
    return withServer(target, 's4', async server => {
      // Warm-up: code paths loaded and compiled before "before" is read.
      const warmGen = LoadGenerator.start(ROOT, jobs('idle', server.wsUrl, warm, hand => ({ sockets: hand.length }), processes), processes)
      await warmGen.waitAll('ready', 120_000)
      await warmGen.stop()
      await sleep(2000)
      const before = await server.memory()
      const workers = processes * options.threads
      const generator = LoadGenerator.start(ROOT, jobs('idle', server.wsUrl, held, hand => ({ sockets: hand.length }), workers), processes)
      try {
        const ready = await generator.waitAll('ready', 600_000)
        const opened = ready.reduce((sum, r) => sum + r.opened, 0)
        const setupFailed = ready.reduce((sum, r) => sum + r.failed, 0)
        await sleep(2000)
        const after = await server.memory()
        const dbAuthorized = target === 'licensewire' ? await authorizedCounts(db.pool, app!.id) : undefined
        const figures: MemoryFigures = {
          target,
          sessions: opened,
          setupFailed,
          before,
          after,
          rssPerSession: (after.rss - before.rss) / opened,
          heapPerSession: (after.heapUsed - before.heapUsed) / opened,
          dbAuthorized
        }
        log(`  ${LABEL[target]}: ${num(opened)} sessions${setupFailed > 0 ? ` (${setupFailed} failed to open)` : ''}; RSS ${mib(before.rss)} → ${mib(after.rss)},` +
          ` heap ${mib(before.heapUsed)} → ${mib(after.heapUsed)}; per session RSS ${kib(figures.rssPerSession)}, heap ${kib(figures.heapPerSession)}` +
          (dbAuthorized !== undefined ? `; authorized in Postgres: ${dbAuthorized.counter}` : ''))
        return figures
      } finally {
        await generator.stop()
      }
    })
  })
  const lw = runs.licensewire[0]!
  const base = runs['bare-ws'][0]!
  const pass = lw.rssPerSession <= 16 * 1024 && lw.rssPerSession <= 2 * base.rssPerSession && lw.setupFailed === 0
  const scenario = `4 ${num(p.sockets / 1000)}k idle sessions`
  rows.push({ scenario, metric: 'sessions held', licensewire: num(lw.sessions), baseline: `${num(base.sessions)} (a)`, ratio: '', bar: '', result: '' })
  rows.push({ scenario: '', metric: 'RSS before → after', licensewire: `${mib(lw.before.rss)} → ${mib(lw.after.rss)}`, baseline: `${mib(base.before.rss)} → ${mib(base.after.rss)}`, ratio: '', bar: '', result: '' })
  rows.push({ scenario: '', metric: 'heap before → after', licensewire: `${mib(lw.before.heapUsed)} → ${mib(lw.after.heapUsed)}`, baseline: `${mib(base.before.heapUsed)} → ${mib(base.after.heapUsed)}`, ratio: '', bar: '', result: '' })
  rows.push({ scenario: '', metric: 'RSS per session', licensewire: kib(lw.rssPerSession), baseline: kib(base.rssPerSession), ratio: ratio(lw.rssPerSession, base.rssPerSession), bar: '≤ 16 KiB, ≤ 2× (a)', result: pass ? 'PASS' : 'FAIL' })
  rows.push({ scenario: '', metric: 'heap per session', licensewire: kib(lw.heapPerSession), baseline: kib(base.heapPerSession), ratio: ratio(lw.heapPerSession, base.heapPerSession), bar: '', result: '' })
  results.scenario4 = { plan: p, runs, pass }
}

interface StormFigures {
  target: Target
  sockets: number
  initialized: number
  ok: number
  statuses: Record<string, number>
  latency: LatencySummary
  spanMs: number
  db: { counter: number, rows: number }
  exact: boolean
  notes: string[]
}

async function scenario5 (): Promise<void> {
  const p = plan.s5
  log(`\n== scenario 5: quota storm — ${num(p.sockets)} initialized sockets send Authorize at once for ${num(p.slots)} slots of one app`)
  const runs = await alternate(['licensewire', 'ws-pg'], options.rounds, async (target, round) => {
    await resetData(db.pool)
    const [app] = await seedApps(db.pool, [{ sessionLimit: p.slots, licenses: p.sockets }], options.leases)
    return withServer(target, `s5-r${round}`, async server => {
      const processes = Math.max(2, options.procs)
      const generator = LoadGenerator.start(ROOT, jobs('storm', server.wsUrl, app!.identities, hand => ({ sockets: hand.length }), processes * options.threads), processes)
      try {
        const ready = await generator.waitAll('ready', 300_000)
        const initialized = ready.reduce((sum, r) => sum + r.opened, 0)
        generator.broadcast({ type: 'go', startAt: Date.now() + 300, warmupMs: 0, measureMs: 0 })
        const out = (await generator.waitAll('result', 120_000)).map(r => r.result)
        const m = merge(out)
        const counts = await authorizedCounts(db.pool, app!.id)
        const figures: StormFigures = {
          target,
          sockets: p.sockets,
          initialized,
          ok: m.ok,
          statuses: m.statuses,
          latency: m.latency.summary(),
          spanMs: Math.max(...out.map(r => r.spanMs ?? 0)),
          db: counts,
          exact: initialized === p.sockets && m.ok === p.slots && counts.counter === p.slots && counts.rows === p.slots,
          notes: [...ready.flatMap(r => r.notes), ...m.notes].slice(0, 5)
        }
        log(`  round ${round} ${LABEL[target]}: ${num(initialized)} initialized, Ok ${num(m.ok)} of ${num(p.slots)} slots,` +
          ` statuses ${JSON.stringify(m.statuses)}, Postgres counter ${counts.counter} / rows ${counts.rows}, storm over in ${ms(figures.spanMs)}` +
          (figures.exact ? '' : ' — NOT EXACT'))
        return figures
      } finally {
        await generator.stop()
      }
    })
  })
  const exact = runs.licensewire.every(r => r.exact)
  const show = (r: StormFigures[]): string => r.map(x => num(x.ok)).join(', ')
  rows.push({ scenario: '5 quota storm', metric: `Ok answers (${options.rounds > 1 ? 'each round' : 'one round'})`, licensewire: show(runs.licensewire), baseline: `${show(runs['ws-pg'])} (b)`, ratio: '', bar: `= ${num(p.slots)} exactly`, result: exact ? 'PASS' : 'FAIL' })
  rows.push({ scenario: '', metric: 'Postgres counter / rows', licensewire: runs.licensewire.map(r => `${r.db.counter}/${r.db.rows}`).join(', '), baseline: runs['ws-pg'].map(r => `${r.db.counter}/${r.db.rows}`).join(', '), ratio: '', bar: '', result: '' })
  const span = (r: StormFigures[]): number => median(r.map(x => x.spanMs))
  rows.push({ scenario: '', metric: 'storm settled in', licensewire: ms(span(runs.licensewire)), baseline: ms(span(runs['ws-pg'])), ratio: ratio(span(runs.licensewire), span(runs['ws-pg'])), bar: '', result: '' })
  latencyRows('', runs.licensewire.map(r => r.latency), runs['ws-pg'].map(r => r.latency))
  results.scenario5 = { plan: p, runs, pass: exact }
}

/**
 * Scenario 7: account logins (connect → Initialize → Authorize by credentials → close)
 * in a closed loop. Every login checks an argon2id hash, so throughput is bounded by
 * PASSWORD_HASH_CONCURRENCY hashes at a time; the CPU per login is the figure to watch.
 */
async function scenario7 (): Promise<void> {
  const p = plan.s7
  log(`\n== scenario 7: account authorizations — connect → Initialize → Authorize by credentials (type 3) → close, ${p.concurrency} clients in a closed loop, ${num(p.accounts)} accounts`)
  const runs = await alternate(['licensewire'], options.rounds, async (target, round) => {
    await resetData(db.pool)
    const identities = await seedAccounts(db.pool, p.accounts)
    const workers = workerCount()
    const figures = await withServer(target, `s7-r${round}`, server =>
      measureLoad(server, round, jobs('establish', server.wsUrl, identities, () => ({ concurrency: Math.max(1, Math.round(p.concurrency / workers)) })), p))
    log(`  round ${round} ${LABEL[target]}: ${describe(figures, 'logins/s')}`)
    return figures
  })
  const lw = runs.licensewire
  const tput = median(lw.map(r => r.throughput))
  // Core-seconds of the server process (argon2 threads included) per Ok login.
  const cpuMs = median(lw.map(r => r.throughput > 0 ? r.cpu.server / r.throughput * 1000 : NaN))
  rows.push({ scenario: '7 account logins', metric: 'throughput (logins/s)', licensewire: num(tput), baseline: '', ratio: '', bar: '', result: '' })
  rows.push({ scenario: '', metric: 'p50 / p99 latency', licensewire: `${ms(median(lw.map(r => r.latency.p50)))} / ${ms(median(lw.map(r => r.latency.p99)))}`, baseline: '', ratio: '', bar: '', result: '' })
  rows.push({ scenario: '', metric: 'server CPU per login', licensewire: ms(cpuMs), baseline: '', ratio: '', bar: '', result: '' })
  rows.push({ scenario: '', metric: 'cores: server / postgres', licensewire: `${median(lw.map(r => r.cpu.server)).toFixed(2)} / ${median(lw.map(r => r.cpu.postgres)).toFixed(2)}`, baseline: '', ratio: '', bar: '', result: '' })
  results.scenario7 = { plan: p, runs, median: { throughput: tput, serverCpuMsPerLogin: cpuMs }, latencyMeasures: 'connect start → Authorize answer' }
}

interface PacedFigures {
  storm: boolean
  round: number
  reads: LoadFigures
  /** The login storm's own figures, when there was one. */
  logins?: { throughput: number, ok: number, statuses: Record<string, number>, notes: string[] }
}

/** One window of paced type-15 traffic, with or without a login storm from a second generator. */
async function pacedRun (storm: boolean, round: number): Promise<PacedFigures> {
  const p = plan.s8
  await resetData(db.pool)
  const [app] = await seedApps(db.pool, [{ sessionLimit: 1_000_000, licenses: p.sockets }])
  const accounts = await seedAccounts(db.pool, p.accounts)
  return withServer('licensewire', `s8-r${round}-${storm ? 'storm' : 'quiet'}`, async server => {
    const stormWorkers = 2
    const stormJobs = jobs('establish', server.wsUrl, accounts, () => ({ concurrency: p.stormClients / stormWorkers }), stormWorkers)
      // Worker indexes after the readers', so their source addresses differ.
      .map(job => ({ ...job, index: job.index + workerCount() }))
    const stormGen = storm ? LoadGenerator.start(ROOT, stormJobs, 1) : undefined
    try {
      if (stormGen !== undefined) await stormGen.waitAll('ready', 60_000)
      const reads = await measureLoad(server, round, jobs('paced', server.wsUrl, app!.identities, hand => ({ sockets: hand.length, intervalMs: p.intervalMs })), p,
        go => stormGen?.broadcast(go))
      if (stormGen === undefined) return { storm, round, reads }
      const m = merge((await stormGen.waitAll('result', p.measureMs + 120_000)).map(r => r.result))
      return { storm, round, reads, logins: { throughput: m.ok / (p.measureMs / 1000), ok: m.ok, statuses: m.statuses, notes: m.notes } }
    } finally {
      await stormGen?.stop()
    }
  })
}

/**
 * Scenario 8: 500 license sessions each send type 15 once a second (open loop, as a
 * client within the default rate limit would); then the same while 200 more clients
 * log in by account as fast as they can. A storm of logins must not stall other
 * sessions: the p99 with it stays within 2× of without.
 */
async function scenario8 (): Promise<void> {
  const p = plan.s8
  log(`\n== scenario 8: login storm — ${num(p.sockets)} license sessions send type 15 every ${p.intervalMs} ms (open loop), without and with ${p.stormClients} clients logging in by account in a closed loop`)
  const quiet: PacedFigures[] = []
  const stormy: PacedFigures[] = []
  for (let round = 1; round <= options.rounds; round++) {
    for (const storm of round % 2 === 1 ? [false, true] : [true, false]) {
      const figures = await pacedRun(storm, round)
      ;(storm ? stormy : quiet).push(figures)
      const logins = figures.logins === undefined
        ? ''
        : ` | storm: ${num(figures.logins.throughput)} logins/s, statuses ${JSON.stringify(figures.logins.statuses)}${figures.logins.notes.length > 0 ? `, e.g. ${figures.logins.notes[0]}` : ''}`
      log(`  round ${round} ${storm ? 'with the storm' : 'quiet'}: ${describe(figures.reads, 'type-15/s')}${logins}`)
    }
  }
  const p99 = (f: PacedFigures[]): number => median(f.map(x => x.reads.latency.p99))
  const r = p99(stormy) / p99(quiet)
  const pass = r <= 2
  rows.push({ scenario: '8 login storm', metric: 'type 15 p99: quiet → storm', licensewire: `${ms(p99(quiet))} → ${ms(p99(stormy))}`, baseline: '', ratio: ratio(p99(stormy), p99(quiet)), bar: '≤ 2× quiet', result: pass ? 'PASS' : 'FAIL' })
  rows.push({ scenario: '', metric: 'type 15 p50: quiet → storm', licensewire: `${ms(median(quiet.map(x => x.reads.latency.p50)))} → ${ms(median(stormy.map(x => x.reads.latency.p50)))}`, baseline: '', ratio: '', bar: '', result: '' })
  rows.push({ scenario: '', metric: 'storm logins/s (Ok)', licensewire: num(median(stormy.map(x => x.logins!.throughput))), baseline: '', ratio: '', bar: '', result: '' })
  rows.push({ scenario: '', metric: 'server cores: quiet → storm', licensewire: `${median(quiet.map(x => x.reads.cpu.server)).toFixed(2)} → ${median(stormy.map(x => x.reads.cpu.server)).toFixed(2)}`, baseline: '', ratio: '', bar: '', result: '' })
  results.scenario8 = { plan: p, runs: { quiet, storm: stormy }, median: { quietP99: p99(quiet), stormP99: p99(stormy) }, pass, latencyMeasures: 'scheduled send → type 15 answer' }
}

interface DownloadRun extends DownloadFigures {
  target: Target
  rssBefore: number
  rssGrowth: number
}

const BENCH_TOKEN = 'bench-admin-token-0123456789'

async function measureDownloads (server: Server, url: string, checksum: string, clients: number, size: number): Promise<DownloadRun> {
  // Untimed: warms the server up (and the caches under it) and checks the bytes.
  const check = await fetchBody(url, true)
  if (check.sha256 !== checksum) throw new Error(`${server.target} served other bytes than were uploaded`)
  const before = await server.memory()
  const figures = await parallelDownloads(url, clients, size, server.pid)
  return { target: server.target, ...figures, rssBefore: before.rss, rssGrowth: figures.peakRss - before.rss }
}

async function scenario9 (): Promise<void> {
  const p = plan.s9
  const size = p.sizeMiB * 1024 * 1024
  log(`\n== scenario 9: file download — one ${p.sizeMiB} MiB file fetched by ${p.clients} clients at once: licensewire from Postgres through a` +
    ' presigned URL (vs baseline (c) @fastify/static from disk)')
  const dir = mkdtempSync(join(os.tmpdir(), 'licensewire-bench-files-'))
  const path = join(dir, 'file.bin')
  const bytes = randomBytes(size)
  writeFileSync(path, bytes)
  const checksum = createHash('sha256').update(bytes).digest('hex')
  try {
    const env = {
      ADMIN_TOKEN: BENCH_TOKEN,
      FILES_DIR: dir,
      FILE_URL_TTL_MS: '600000',
      FILE_DOWNLOADS_MAX: String(p.clients * 2),
      FILE_RATE_LIMIT_MAX: '1000000000'
    }
    const runs = await alternate(['licensewire', 'static'], options.rounds, async (target, round) => {
      // Before the server starts: the reset empties the instances table too.
      await resetData(db.pool)
      const [app] = await seedApps(db.pool, [{ sessionLimit: 10, licenses: 1 }])
      return withServer(target, `s9-r${round}`, async server => {
        let url = `${server.url}/file.bin`
        if (target === 'licensewire') {
          await uploadFile(server.url, BENCH_TOKEN, app!.id, 'bench file', path)
          url = await presignedUrl(server.wsUrl, app!.identities[0]!, 'bench file')
        }
        const run = await measureDownloads(server, url, checksum, p.clients, size)
        log(`  round ${round} ${LABEL[target]}: ${mib(run.throughput)}/s (${mib(run.bytes)} in ${run.seconds.toFixed(2)} s);` +
          ` RSS ${mib(run.rssBefore)} → peak ${mib(run.peakRss)} (+${mib(run.rssGrowth)})`)
        return run
      }, env)
    })
    const lw = median(runs.licensewire.map(r => r.throughput))
    const base = median(runs.static.map(r => r.throughput))
    const growth = Math.max(...runs.licensewire.map(r => r.rssGrowth))
    const fast = lw / base >= 0.5
    const lean = growth <= 64 * 1024 * 1024
    rows.push({ scenario: `9 download ${p.sizeMiB} MiB × ${p.clients}`, metric: 'throughput (MiB/s)', licensewire: num(lw / 1048576), baseline: `${num(base / 1048576)} (c)`, ratio: ratio(lw, base), bar: '≥ 0.5× (c)', result: fast ? 'PASS' : 'FAIL' })
    rows.push({ scenario: '', metric: 'server RSS growth (max)', licensewire: mib(growth), baseline: mib(Math.max(...runs.static.map(r => r.rssGrowth))), ratio: '', bar: '≤ 64 MiB', result: lean ? 'PASS' : 'FAIL' })
    results.scenario9 = { plan: p, runs, median: { licensewire: lw, baseline: base }, pass: fast && lean }
  } finally {
    rmSync(dir, { recursive: true, force: true })
  }
}

// --- main ------------------------------------------------------------------------------

/**
 * Scenario 10: resuming a dropped session (reconnect with Resume-Id → type 15 → drop)
 * against establishing one (connect → Initialize → Authorize → close), both on
 * licensewire, the same clients and licenses, alternating rounds.
 */
async function scenario10 (): Promise<void> {
  const p = plan.s10
  log(`\n== scenario 10: session resumption — ${p.concurrency} clients in a closed loop resuming their dropped session` +
    ' (reconnect with Resume-Id → type 15 → drop) vs establishing one (connect → Initialize → Authorize → close)')
  const modes = ['establish', 'resume'] as const
  const runs: Record<typeof modes[number], LoadFigures[]> = { establish: [], resume: [] }
  for (let round = 1; round <= options.rounds; round++) {
    for (const mode of round % 2 === 1 ? modes : [...modes].reverse()) {
      await resetData(db.pool)
      const identities = await seedSpread(p.identities, p.apps, p.hotShare)
      const workers = workerCount()
      const concurrency = Math.max(1, Math.round(p.concurrency / workers))
      const figures = await withServer('licensewire', `s10-${mode}-r${round}`, server =>
        measureLoad(server, round, jobs(mode, server.wsUrl, identities, () => ({ concurrency })), p))
      log(`  round ${round} licensewire ${mode}: ${describe(figures, 'sessions/s')}`)
      runs[mode].push(figures)
    }
  }
  const resumed = median(runs.resume.map(r => r.throughput))
  const established = median(runs.establish.map(r => r.throughput))
  const pass = resumed / established >= 1.3
  rows.push({ scenario: '10 session resumption', metric: 'throughput (sessions/s)', licensewire: `${num(resumed)} resumed`, baseline: `${num(established)} established`, ratio: ratio(resumed, established), bar: '≥ 1.30× establishment', result: pass ? 'PASS' : 'FAIL' })
  latencyRows('', runs.resume.map(r => r.latency), runs.establish.map(r => r.latency))
  rows.push({ scenario: '', metric: 'cores: server / postgres', licensewire: `${median(runs.resume.map(r => r.cpu.server)).toFixed(2)} / ${median(runs.resume.map(r => r.cpu.postgres)).toFixed(2)}`, baseline: `${median(runs.establish.map(r => r.cpu.server)).toFixed(2)} / ${median(runs.establish.map(r => r.cpu.postgres)).toFixed(2)}`, ratio: '', bar: '', result: '' })
  results.scenario10 = { plan: p, runs, median: { resumed, established }, pass, latencyMeasures: 'connect start → type 15 answer (resume) / Authorize answer (establish)' }
}

interface HandoverFigures {
  round: number
  sockets: number
  opened: number
  resumed: number
  statuses: Record<string, number>
  /** From SIGTERM to the last session resumed on the other instance. */
  allResumedMs: number
  /** From SIGTERM until the drained process exited. */
  exitMs: number
  latency: LatencySummary
  db: { counter: number, rows: number }
  notes: string[]
}

/**
 * Scenario 11: an instance holding `sockets` authorized sessions is drained (SIGTERM)
 * while a second instance runs; each client resumes on the second one as soon as it
 * hears 1001. No baseline: the figures are the time until all are back and the 602s.
 */
async function scenario11 (): Promise<void> {
  const p = plan.s11
  log(`\n== scenario 11: drain hand-over — an instance holding ${num(p.sockets)} authorized sessions gets SIGTERM; every client resumes on a second instance`)
  const runs: HandoverFigures[] = []
  for (let round = 1; round <= options.rounds; round++) {
    await resetData(db.pool)
    const [app] = await seedApps(db.pool, [{ sessionLimit: p.sockets, licenses: p.sockets }], options.leases)
    const figures = await withServer('licensewire', `s11-stay-r${round}`, staying =>
      withServer('licensewire', `s11-leave-r${round}`, async leaving => {
        const processes = Math.max(2, options.procs)
        const generator = LoadGenerator.start(ROOT, jobs('handover', leaving.wsUrl, app!.identities,
          hand => ({ sockets: hand.length, url2: staying.wsUrl }), processes * options.threads), processes)
        try {
          const ready = await generator.waitAll('ready', 300_000)
          const opened = ready.reduce((sum, r) => sum + r.opened, 0)
          const startAt = Date.now() + 300
          generator.broadcast({ type: 'go', startAt, warmupMs: 0, measureMs: 0 })
          await sleep(startAt - Date.now())
          const stopped = leaving.stop().then(() => Date.now() - startAt)
          const out = (await generator.waitAll('result', 120_000)).map(r => r.result)
          const exitMs = await stopped
          const m = merge(out)
          return {
            round,
            sockets: p.sockets,
            opened,
            resumed: m.ok,
            statuses: m.statuses,
            allResumedMs: Math.max(...out.map(r => r.spanMs ?? 0)),
            exitMs,
            latency: m.latency.summary(),
            db: await authorizedCounts(db.pool, app!.id),
            notes: [...ready.flatMap(r => r.notes), ...m.notes].slice(0, 5)
          }
        } finally {
          await generator.stop()
        }
      }))
    log(`  round ${round}: ${num(figures.opened)} sessions, ${num(figures.resumed)} resumed on the other instance in ${ms(figures.allResumedMs)}` +
      ` (p50 ${ms(figures.latency.p50)}, p99 ${ms(figures.latency.p99)} after SIGTERM), statuses ${JSON.stringify(figures.statuses)},` +
      ` drained process exited after ${ms(figures.exitMs)}, Postgres counter ${figures.db.counter} / rows ${figures.db.rows}` +
      (figures.notes.length > 0 ? ` — ${figures.notes[0]}` : ''))
    runs.push(figures)
  }
  const all = runs.every(r => r.opened === p.sockets && r.resumed === p.sockets && r.db.counter === p.sockets && r.db.rows === p.sockets)
  const quota = runs.reduce((sum, r) => sum + (r.statuses['602'] ?? 0), 0)
  rows.push({ scenario: '11 drain hand-over', metric: `sessions resumed (${options.rounds > 1 ? 'each round' : 'one round'})`, licensewire: runs.map(r => num(r.resumed)).join(', '), baseline: '', ratio: '', bar: `= ${num(p.sockets)}`, result: all ? 'PASS' : 'FAIL' })
  rows.push({ scenario: '', metric: '602 answers', licensewire: num(quota), baseline: '', ratio: '', bar: '= 0', result: quota === 0 ? 'PASS' : 'FAIL' })
  rows.push({ scenario: '', metric: 'SIGTERM → all resumed', licensewire: ms(median(runs.map(r => r.allResumedMs))), baseline: '', ratio: '', bar: '', result: '' })
  rows.push({ scenario: '', metric: 'SIGTERM → drained process exited', licensewire: ms(median(runs.map(r => r.exitMs))), baseline: '', ratio: '', bar: '', result: '' })
  results.scenario11 = { plan: p, runs, pass: all && quota === 0 }
}

function build (): void {
  for (let attempt = 1; attempt <= 4; attempt++) {
    const out = spawnSync('npm', ['run', 'build', '--silent'], { cwd: ROOT, encoding: 'utf8' })
    if (out.status === 0) return
    const message = `${out.stdout}${out.stderr}`.trim().split('\n').slice(0, 10).join('\n')
    if (attempt < 4) {
      log(`build failed (attempt ${attempt}); src/ may be mid-edit, retrying in 15 s:\n${message}`)
      spawnSync('sleep', ['15'])
    } else if (existsSync(join(ROOT, 'dist/src/server.js'))) {
      log(`build still failing; using the existing dist/ (may be stale):\n${message}`)
    } else {
      throw new Error(`npm run build failed:\n${message}`)
    }
  }
}

/** Which code was measured: HEAD and the uncommitted files under src/, plugins/, migrations/ (read-only git). */
function codeState (): { commit: string, dirty: string[] } {
  const git = (...args: string[]): string => spawnSync('git', ['--no-optional-locks', ...args], { cwd: ROOT, encoding: 'utf8' }).stdout ?? ''
  return {
    commit: git('rev-parse', 'HEAD').trim() || 'unknown',
    dirty: git('status', '--porcelain', '--', 'src', 'plugins', 'migrations').split('\n').filter(l => l.trim() !== '').map(l => l.slice(3))
  }
}

let clusterStarted = false

function emergencyStop (): void {
  killAllGenerators()
  killAllServers()
  if (clusterStarted) stopCluster(ROOT, PG_DIR)
}

async function main (): Promise<void> {
  options = parseOptions(process.argv.slice(2))
  if (process.argv.includes('--help')) {
    log('see bench/README.md')
    return
  }
  plan = options.quick ? QUICK : FULL
  const started = new Date()
  stamp = started.toISOString().replace(/[:.]/g, '-')
  const t0 = performance.now()
  if (options.build) {
    log('building licensewire (npm run build)…')
    build()
  }
  db = await openDatabase(ROOT, PG_DIR, () => { clusterStarted = true })
  const code = codeState()
  const machine = {
    cpu: os.cpus()[0]?.model ?? 'unknown',
    cores: os.cpus().length,
    totalMemoryBytes: os.totalmem(),
    platform: `${os.platform()} ${os.release()} ${os.arch()}`,
    loadAverageAtStart: os.loadavg()
  }
  log(`machine: ${machine.cpu}, ${machine.cores} cores, ${mib(machine.totalMemoryBytes)}, load ${machine.loadAverageAtStart.map(l => l.toFixed(2)).join(' ')}`)
  log(`code: ${code.commit.slice(0, 10)}${code.dirty.length > 0 ? ` + uncommitted changes in ${code.dirty.length} file(s) of src/, plugins/, migrations/` : ''}`)
  log(`node ${process.version}; ${db.version.split(',')[0]} (${db.own ? `throw-away cluster in ${PG_DIR}` : 'DATABASE_URL'})`)
  log(`plan: ${options.quick ? 'quick' : 'full'}, scenarios ${[...options.only].join(',')}, ${options.rounds} round(s) alternating, ` +
    `generator ${options.procs} process(es) × ${options.threads} worker thread(s), pool ${options.poolMax}` +
    (options.cpuProf !== 'off' ? `, CPU profiling ${options.cpuProf} (profiled figures are slower than real)` : '') +
    (options.leases ? ', signed leases on (the baselines sign nothing)' : ''))
  try {
    if (options.only.has(1)) await scenario1()
    if (options.only.has(2)) await scenario2()
    if (options.only.has(3)) await scenario3()
    if (options.only.has(4)) await scenario4()
    if (options.only.has(5)) await scenario5()
    if (options.only.has(6)) await scenario6()
    if (options.only.has(7)) await scenario7()
    if (options.only.has(8)) await scenario8()
    if (options.only.has(9)) await scenario9()
    if (options.only.has(10)) await scenario10()
    if (options.only.has(11)) await scenario11()
  } finally {
    await db.stop()
    clusterStarted = false
  }
  const seconds = (performance.now() - t0) / 1000
  log(`\nlicensewire vs baselines measured in the same run (medians of ${options.rounds} round(s); latency in ms; ratio = licensewire / baseline)\n`)
  log(renderTable(rows))
  const bars = rows.filter(r => r.result !== '')
  log(`\n${bars.filter(r => r.result === 'PASS').length} of ${bars.length} bars passed; the whole run took ${Math.round(seconds)} s`)

  mkdirSync(RESULTS, { recursive: true })
  const file = join(RESULTS, `${stamp}.json`)
  writeFileSync(file, JSON.stringify({
    startedAt: started.toISOString(),
    durationSeconds: seconds,
    command: `npm run bench -- ${process.argv.slice(2).join(' ')}`.trim(),
    options: { ...options, only: [...options.only] },
    plan,
    machine,
    node: process.version,
    postgres: db.version,
    code,
    database: db.own ? 'throw-away local cluster (scripts/pg-test-cluster.sh)' : 'DATABASE_URL',
    table: rows,
    scenarios: results
  }, null, 2))
  log(`results: ${relative(ROOT, file)}` + (options.cpuProf !== 'off' ? `; CPU profiles: ${relative(ROOT, join(RESULTS, 'profiles', stamp))} (summarise with: npx tsx bench/profile.ts <file>)` : ''))
}

for (const [signal, code] of [['SIGINT', 130], ['SIGTERM', 143]] as const) {
  process.once(signal, () => {
    process.stderr.write(`\n${signal}: stopping servers, generators and Postgres\n`)
    emergencyStop()
    process.exit(code)
  })
}

main().catch(err => {
  console.error(err instanceof Error ? err.stack ?? err.message : err)
  emergencyStop()
  process.exit(1)
})
