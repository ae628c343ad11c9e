import type { HistogramData } from '../lib/histogram.js'

/**
 * One client identity: the app's API key, a license of that app, and its device id.
 * With `login` and `password` it authorizes by that account (type 3) instead.
 */
export interface Identity {
  apiKey: string
  license: string
  clientId: string
  login?: string
  password?: string
}

/**
 * What one worker thread does. Every job first sets up (`ready`), then waits for
 * `go` (except `idle`, which only holds its sockets), then reports a `result`.
 *
 * - inSession: `sockets` authorized sockets send type 15 in a closed loop.
 * - values: `sockets` authorized sockets alternate type 12 (set) and 13 (get of the
 *   key just set) in a closed loop.
 * - establish: `concurrency` clients loop connect → 0 → 2 → close as fast as they can.
 * - fixedRate: connect → 0 → 2 → close started at `rate` per second (open loop).
 * - idle: `sockets` authorized sockets that just stay open.
 * - storm: `sockets` initialized sockets that all send Authorize at once.
 * - paced: `sockets` authorized sockets, each sending type 15 every `intervalMs`
 *   whatever the answers do (open loop).
 * - resume: `concurrency` clients, each with a session it established once, loop
 *   reconnect with its Resume-Id → type 15 → drop (no close frame), as fast as they can.
 * - handover: `sockets` authorized sockets; when one hears 1001 (its instance drains) it
 *   reconnects to `url2` with its Resume-Id and sends type 15.
 */
export type Scenario = 'inSession' | 'values' | 'establish' | 'fixedRate' | 'idle' | 'storm' | 'paced' | 'resume' | 'handover'

export interface WorkerJob {
  scenario: Scenario
  url: string
  /** Worker index across all generator processes. */
  index: number
  workers: number
  identities: Identity[]
  /** inSession, values, idle, storm: sockets to open (one identity each). */
  sockets?: number
  /** establish: concurrent clients. */
  concurrency?: number
  /** fixedRate: sessions per second started by this worker. */
  rate?: number
  /** paced: ms between two type-15 packets of one socket. */
  intervalMs?: number
  /** handover: where a drained socket resumes. */
  url2?: string
  /** Sockets opened at once during setup. */
  setupConcurrency: number
}

export interface Go {
  type: 'go'
  /** Epoch milliseconds at which load starts; the warm-up comes first. */
  startAt: number
  warmupMs: number
  measureMs: number
}

export type ToWorker = Go | { type: 'stop' }

export interface WorkerResult {
  /** Successful operations completed inside the measurement window. */
  ok: number
  /** Failed operations (non-Ok status, unexpected close, socket error) in the window. */
  failed: number
  /** Status → count of every answer in the window (storm: of every answer). */
  statuses: Record<string, number>
  latency: HistogramData
  /** storm: ms from `go` to the last answer; handover: from `go` (the drain's start) to the last resumed answer. */
  spanMs?: number
  /** fixedRate: sessions started in the window, and those dropped over the in-flight cap. */
  started?: number
  dropped?: number
  /** establish, fixedRate: the session's phases — TCP connect, HTTP upgrade, Initialize, Authorize. */
  phases?: { connect: HistogramData, upgrade: HistogramData, initialize: HistogramData, authorize: HistogramData }
  /** This worker's own event-loop delay during the window (a stalled generator inflates latency). */
  generatorLoop?: { p99: number, max: number }
  /** Messages worth showing (first few errors). */
  notes: string[]
}

export type FromWorker =
  | { type: 'ready', opened: number, failed: number, notes: string[] }
  | { type: 'result', result: WorkerResult }
  | { type: 'error', message: string }

/** Orchestrator ↔ generator process (IPC). */
export type ToGenerator =
  | { kind: 'spawn', jobs: WorkerJob[] }
  | { kind: 'broadcast', message: ToWorker }

export type FromGenerator =
  | { kind: 'worker', index: number, message: FromWorker }
  | { kind: 'exit', index: number, code: number }
