/**
 * One load-generator worker thread: real `ws` clients against the server under
 * test. Runs inside a generator process (bench/load/process.ts); talks to it with
 * FromWorker / ToWorker messages. Times are performance.now() of this thread; the
 * shared start time arrives as epoch ms and is converted once.
 */
import { connect, type NetConnectOpts } from 'node:net'
import { monitorEventLoopDelay } from 'node:perf_hooks'
import { parentPort, workerData } from 'node:worker_threads'
import WebSocket, { type ClientOptions, type RawData } from 'ws'
import { Histogram } from '../lib/histogram.js'
import type { FromWorker, Go, Identity, ToWorker, WorkerJob, WorkerResult } from './messages.js'

const job = workerData as WorkerJob
const port = parentPort!
const CLIENT_OPTIONS = { perMessageDeflate: false, handshakeTimeout: 30_000 } as const
/**
 * Real clients come from many addresses. One source address cycling through its
 * ~28k ephemeral ports at hundreds of connections per second (scenario 2 alone
 * leaves more TIME_WAIT entries than there are ports) keeps reusing ports whose
 * previous connection is still in TIME_WAIT (TcpExtTWRecycled), an artefact of
 * the generator. So the workers spread their connections over 127.0.0.2–127.0.0.33
 * (all loopback) when the server is on 127.0.0.1.
 */
const SOURCE_ADDRESSES = 32
let nextSource = job.index
const LOOPBACK = /^ws:\/\/127\.0\.0\.1[:/]/.test(job.url)
/** Client options; `onConnect` hears when the TCP connection is established (before the HTTP upgrade). */
function clientOptions (onConnect?: () => void): ClientOptions {
  const options: ClientOptions = { ...CLIENT_OPTIONS }
  if (LOOPBACK) options.localAddress = `127.0.0.${2 + (nextSource++ % SOURCE_ADDRESSES)}`
  if (onConnect !== undefined) {
    options.createConnection = ((connectOptions: NetConnectOpts) => {
      const socket = connect(connectOptions)
      socket.once('connect', onConnect)
      return socket
    }) as ClientOptions['createConnection']
  }
  return options
}
/** fixedRate: sessions in flight per worker beyond which an arrival is dropped (counted). */
const MAX_IN_FLIGHT = 4000
const OK_TAIL = Buffer.from('"status":1}')

function post (message: FromWorker): void {
  port.postMessage(message)
}

const epochToPerf = (epochMs: number): number => epochMs - performance.timeOrigin
const sleep = (ms: number): Promise<void> => new Promise(resolve => setTimeout(resolve, ms))

function toBuffer (data: RawData): Buffer {
  return Buffer.isBuffer(data) ? data : Array.isArray(data) ? Buffer.concat(data) : Buffer.from(data)
}

/** The reply's status. Both licensewire and the baselines write `status` last, so Ok needs no parse. */
function statusOf (data: RawData): number {
  const buf = toBuffer(data)
  if (buf.length >= OK_TAIL.length && buf.subarray(buf.length - OK_TAIL.length).equals(OK_TAIL)) return 1
  try {
    const message = JSON.parse(buf.toString('utf8')) as { status?: unknown }
    return typeof message.status === 'number' ? message.status : -1
  } catch {
    return -1
  }
}

const initText = (i: Identity): string => JSON.stringify({ type: 0, id: 1, websocket_api_key: i.apiKey, client_id: i.clientId })
const authText = (i: Identity): string => i.login === undefined
  ? JSON.stringify({ type: 2, id: 2, license: i.license })
  : JSON.stringify({ type: 3, id: 2, login: i.login, password: i.password, credentials_type: 0 })

class Tally {
  readonly latency = new Histogram()
  readonly connect = new Histogram()
  readonly upgrade = new Histogram()
  readonly initialize = new Histogram()
  readonly authorize = new Histogram()
  private readonly loop = monitorEventLoopDelay({ resolution: 10 })
  ok = 0
  failed = 0
  readonly statuses: Record<string, number> = {}
  readonly notes: string[] = []

  status (status: number | string): void {
    const key = String(status)
    this.statuses[key] = (this.statuses[key] ?? 0) + 1
  }

  note (text: string): void {
    if (this.notes.length < 5) this.notes.push(text)
  }

  /** One establish cycle measured in the window; latency runs from `from` to the Authorize answer. */
  cycle (o: CycleOutcome, from: number): void {
    this.status(o.status)
    if (!o.ok) {
      this.failed++
      this.note(`session failed: ${o.status}`)
      return
    }
    this.ok++
    this.latency.record(o.authorizedAt - from)
    this.connect.record(o.connectedAt - o.startedAt)
    this.upgrade.record(o.openedAt - o.connectedAt)
    this.initialize.record(o.initializedAt - o.openedAt)
    this.authorize.record(o.authorizedAt - o.initializedAt)
  }

  /** Watch this worker's own event loop from now on (the measurement window). */
  watchLoop (): void {
    this.loop.enable()
  }

  result (extra: Partial<WorkerResult> = {}): WorkerResult {
    this.loop.disable()
    const phases = this.upgrade.count > 0
      ? { connect: this.connect.toJSON(), upgrade: this.upgrade.toJSON(), initialize: this.initialize.toJSON(), authorize: this.authorize.toJSON() }
      : undefined
    const generatorLoop = this.loop.count > 0
      ? { p99: Math.max(0, this.loop.percentile(99) / 1e6 - 10), max: Math.max(0, this.loop.max / 1e6 - 10) }
      : undefined
    return { ok: this.ok, failed: this.failed, statuses: this.statuses, latency: this.latency.toJSON(), phases, generatorLoop, notes: this.notes, ...extra }
  }
}

// --- setup helpers -----------------------------------------------------------

function open (url: string): Promise<WebSocket> {
  return new Promise((resolve, reject) => {
    const ws = new WebSocket(url, clientOptions())
    keepResumeId(ws)
    ws.on('error', () => {})
    ws.once('open', () => resolve(ws))
    ws.once('unexpected-response', (_req, res) => reject(new Error(`upgrade refused: HTTP ${res.statusCode}`)))
    ws.once('close', code => reject(new Error(`closed ${code} before open`)))
  })
}

function request (ws: WebSocket, text: string): Promise<number> {
  return new Promise((resolve, reject) => {
    const onClose = (code: number, reason: Buffer): void => reject(new Error(`closed ${code} ${reason.toString()}`))
    ws.once('close', onClose)
    ws.once('message', data => {
      ws.off('close', onClose)
      resolve(statusOf(data))
    })
    ws.send(text)
  })
}

/** The Resume-Id each socket's upgrade answered with (scenarios resume and handover). */
const resumeIds = new WeakMap<WebSocket, string>()

function keepResumeId (ws: WebSocket): void {
  ws.once('upgrade', res => {
    const header = res.headers['resume-id']
    if (typeof header === 'string') resumeIds.set(ws, header)
  })
}

/** Opens a socket and runs Initialize (and Authorize when `authorize`); throws unless both are Ok. */
async function session (identity: Identity, authorize: boolean, url = job.url): Promise<WebSocket> {
  const ws = await open(url)
  try {
    const init = await request(ws, initText(identity))
    if (init !== 1) throw new Error(`initialize answered ${init}`)
    if (authorize) {
      const auth = await request(ws, authText(identity))
      if (auth !== 1) throw new Error(`authorize answered ${auth}`)
    }
    return ws
  } catch (err) {
    ws.terminate()
    throw err
  }
}

/** Opens `count` sessions, `setupConcurrency` at a time; failures are counted, not fatal. */
async function openSessions (count: number, authorize: boolean, tally: Tally): Promise<WebSocket[]> {
  const sockets: WebSocket[] = []
  let next = 0
  let failed = 0
  const lane = async (): Promise<void> => {
    while (next < count) {
      const identity = job.identities[next++ % job.identities.length]!
      try {
        sockets.push(await session(identity, authorize))
      } catch (err) {
        failed++
        tally.note(`setup: ${(err as Error).message}`)
      }
    }
  }
  await Promise.all(Array.from({ length: Math.min(job.setupConcurrency, count) }, lane))
  tally.failed += failed
  return sockets
}

// --- scenarios ------------------------------------------------------------------

/** The request frame with this id: type 15 for scenario 1. */
type Frame = (id: number) => string

const getCurrentLicense: Frame = id => `{"type":15,"id":${id}}`

/** A set (odd ids) then a get of the same key (even ids), over 8 keys: every answer is Ok. */
const VALUE = JSON.stringify('{"theme":"dark","step":3,"x":"é"}')
const sessionValues: Frame = id => {
  const key = `"key-${((id - 1) >> 1) & 7}"`
  return id % 2 === 1
    ? `{"type":12,"id":${id},"key":${key},"value":${VALUE},"ttl":600}`
    : `{"type":13,"id":${id},"key":${key}}`
}

/** Scenarios 1 and 6: each socket keeps exactly one request in flight. */
function inSession (sockets: WebSocket[], go: Go, frame: Frame): Promise<WorkerResult> {
  const tally = new Tally()
  const start = epochToPerf(go.startAt)
  const from = start + go.warmupMs
  const until = from + go.measureMs
  setTimeout(() => tally.watchLoop(), from - performance.now())
  let active = 0
  return new Promise(resolve => {
    let finished = false
    const finish = (): void => {
      if (finished) return
      finished = true
      clearTimeout(guard)
      resolve(tally.result())
    }
    const guard = setTimeout(finish, until - performance.now() + 10_000)
    for (const ws of sockets) {
      let id = 0
      let sentAt = 0
      let inFlight = false
      const send = (): void => {
        sentAt = performance.now()
        inFlight = true
        ws.send(frame(++id))
      }
      const done = (): void => {
        if (--active === 0) finish()
      }
      ws.on('message', data => {
        const now = performance.now()
        inFlight = false
        const status = statusOf(data)
        if (now >= from && now < until) {
          tally.latency.record(now - sentAt)
          tally.status(status)
          if (status === 1) tally.ok++
          else tally.failed++
        }
        if (now < until && ws.readyState === WebSocket.OPEN) send()
        else done()
      })
      ws.once('close', code => {
        if (performance.now() < until) {
          tally.failed++
          tally.note(`socket closed ${code} during the run`)
        }
        if (inFlight) done()
      })
      active++
      setTimeout(send, Math.max(0, start - performance.now()))
    }
    if (active === 0) finish()
  })
}

interface CycleOutcome {
  ok: boolean
  status: number | string
  /** performance.now() at each step; NaN for a step never reached. */
  startedAt: number
  connectedAt: number
  openedAt: number
  initializedAt: number
  authorizedAt: number
}

/** One session establishment: connect → Initialize → Authorize → close; resolves after the close. */
function cycle (identity: Identity): Promise<CycleOutcome> {
  return new Promise(resolve => {
    const startedAt = performance.now()
    let connectedAt = NaN
    const ws = new WebSocket(job.url, clientOptions(() => { connectedAt = performance.now() }))
    let stage = 0
    let status: number | string = 'no-answer'
    let openedAt = NaN
    let initializedAt = NaN
    let authorizedAt = NaN
    ws.on('error', err => { if (stage < 2) status = `error:${(err as NodeJS.ErrnoException).code ?? err.message}` })
    ws.on('unexpected-response', (_req, res) => {
      status = `http-${res.statusCode}`
      ws.terminate()
    })
    ws.on('open', () => {
      openedAt = performance.now()
      ws.send(initText(identity))
    })
    ws.on('message', data => {
      const s = statusOf(data)
      if (stage === 0) {
        initializedAt = performance.now()
        if (s !== 1) {
          status = `init-${s}`
          stage = 2
          ws.close()
          return
        }
        stage = 1
        ws.send(authText(identity))
      } else if (stage === 1) {
        authorizedAt = performance.now()
        status = s
        stage = 2
        ws.close()
      }
    })
    ws.on('close', () => resolve({ ok: status === 1, status, startedAt, connectedAt, openedAt, initializedAt, authorizedAt }))
  })
}

/** Scenario 2: `concurrency` clients, each running cycles back to back. */
async function establish (go: Go): Promise<WorkerResult> {
  const tally = new Tally()
  const start = epochToPerf(go.startAt)
  const from = start + go.warmupMs
  const until = from + go.measureMs
  const concurrency = job.concurrency ?? 1
  setTimeout(() => tally.watchLoop(), from - performance.now())
  await sleep(start - performance.now())
  const client = async (lane: number): Promise<void> => {
    // Each lane owns every concurrency-th identity: one license is never in two
    // sessions of this worker at once.
    let i = lane
    while (performance.now() < until) {
      const identity = job.identities[i % job.identities.length]!
      i += concurrency
      const t0 = performance.now()
      const outcome = await cycle(identity)
      const end = performance.now()
      if (end >= from && end < until) tally.cycle(outcome, t0)
      if (!outcome.ok) await sleep(5)
    }
  }
  await Promise.all(Array.from({ length: concurrency }, (_, lane) => client(lane)))
  return tally.result()
}

/**
 * Scenario 3: arrivals at a fixed rate whatever the server does (open loop). The
 * latency runs from the arrival's scheduled time, so a stalled server is not
 * hidden by the generator waiting for it (no coordinated omission).
 */
function fixedRate (go: Go): Promise<WorkerResult> {
  const tally = new Tally()
  const rate = job.rate ?? 1
  const interval = 1000 / rate
  const start = epochToPerf(go.startAt)
  const from = start + go.warmupMs
  const until = from + go.measureMs
  // Workers interleave their arrivals instead of all starting on the same tick.
  const first = start + (interval * job.index) / job.workers
  setTimeout(() => tally.watchLoop(), from - performance.now())
  let started = 0
  let dropped = 0
  let inFlight = 0
  let n = 0
  return new Promise(resolve => {
    let scheduling = true
    const maybeFinish = (): void => {
      if (!scheduling && inFlight === 0) resolve(tally.result({ started, dropped }))
    }
    const launch = (intended: number): void => {
      const inWindow = intended >= from && intended < until
      if (inWindow) started++
      if (inFlight >= MAX_IN_FLIGHT) {
        if (inWindow) {
          dropped++
          tally.failed++
        }
        return
      }
      inFlight++
      const identity = job.identities[n++ % job.identities.length]!
      void cycle(identity).then(outcome => {
        inFlight--
        if (inWindow) tally.cycle(outcome, intended)
        maybeFinish()
      })
    }
    let i = 0
    const tick = (): void => {
      const now = performance.now()
      while (first + i * interval <= now && first + i * interval < until) launch(first + i++ * interval)
      const due = first + i * interval
      if (due < until) {
        setTimeout(tick, Math.max(0, due - performance.now()))
      } else {
        scheduling = false
        maybeFinish()
      }
    }
    setTimeout(tick, Math.max(0, first - performance.now()))
  })
}

/** Scenario 5: every socket sends Authorize in the same turn of the event loop. */
function storm (sockets: WebSocket[], go: Go): Promise<WorkerResult> {
  const tally = new Tally()
  return new Promise(resolve => {
    let pending = sockets.length
    let t0 = 0
    let last = 0
    const finish = (): void => {
      clearTimeout(guard)
      resolve(tally.result({ spanMs: last - t0 }))
    }
    const guard = setTimeout(() => {
      tally.note(`${pending} authorize requests unanswered after 60 s`)
      tally.failed += pending
      finish()
    }, epochToPerf(go.startAt) - performance.now() + 60_000)
    const answered = (status: number | string): void => {
      last = performance.now()
      tally.latency.record(last - t0)
      tally.status(status)
      if (status === 1) tally.ok++
      if (--pending === 0) finish()
    }
    if (pending === 0) return finish()
    setTimeout(() => {
      t0 = performance.now()
      sockets.forEach((ws, i) => {
        let done = false
        ws.once('message', data => { if (!done) { done = true; answered(statusOf(data)) } })
        ws.once('close', code => { if (!done) { done = true; answered(`closed-${code}`) } })
        ws.send(authText(job.identities[i % job.identities.length]!))
      })
    }, Math.max(0, epochToPerf(go.startAt) - performance.now()))
  })
}

/**
 * Scenario 7: each socket sends type 15 every `intervalMs`, at a random phase, whether
 * or not the previous one was answered. Latency runs from the scheduled send, so a
 * stalled server (or generator) is not hidden.
 */
function paced (sockets: WebSocket[], go: Go): Promise<WorkerResult> {
  const tally = new Tally()
  const interval = job.intervalMs ?? 1000
  const start = epochToPerf(go.startAt)
  const from = start + go.warmupMs
  const until = from + go.measureMs
  setTimeout(() => tally.watchLoop(), from - performance.now())
  return new Promise(resolve => {
    let open = 0
    const done = (): void => {
      if (--open === 0) resolve(tally.result())
    }
    for (const ws of sockets) {
      open++
      const due = new Map<number, number>()
      let id = 0
      const phase = Math.random() * interval
      ws.on('message', data => {
        const now = performance.now()
        const match = /^\{"id":(\d+)/.exec(toBuffer(data).subarray(0, 32).toString('latin1'))
        const scheduled = match === null ? undefined : due.get(Number(match[1]))
        if (scheduled === undefined) return
        due.delete(Number(match![1]))
        if (scheduled >= from && scheduled < until) {
          const status = statusOf(data)
          tally.latency.record(now - scheduled)
          tally.status(status)
          if (status === 1) tally.ok++
          else tally.failed++
        }
      })
      ws.once('close', () => {
        if (performance.now() < until) tally.note('socket closed during the run')
      })
      const tick = (): void => {
        const scheduled = start + phase + id * interval
        if (scheduled >= until || ws.readyState !== WebSocket.OPEN) {
          // Answers still due get a second to arrive.
          setTimeout(done, 1000)
          return
        }
        due.set(++id, scheduled)
        ws.send(`{"type":15,"id":${id}}`)
        setTimeout(tick, Math.max(0, start + phase + id * interval - performance.now()))
      }
      setTimeout(tick, Math.max(0, start + phase - performance.now()))
    }
    if (open === 0) resolve(tally.result())
  })
}

interface ResumeOutcome {
  ok: boolean
  status: number | string
  /** The new socket's Resume-Id, for the next cycle. */
  next: string | undefined
  answeredAt: number
}

/**
 * One resumption: connect with `resumeId` → type 15 → drop the socket without a close
 * frame (as a broken network does), so the server suspends the session again.
 */
function resumeCycle (resumeId: string, id: number): Promise<ResumeOutcome> {
  return new Promise(resolve => {
    const ws = new WebSocket(job.url, { ...clientOptions(), headers: { 'Resume-Id': resumeId } })
    let status: number | string = 'no-answer'
    let answeredAt = NaN
    let next: string | undefined
    ws.on('error', () => {})
    ws.once('upgrade', res => {
      const header = res.headers['resume-id']
      if (typeof header === 'string') next = header
    })
    ws.on('unexpected-response', (_req, res) => {
      status = `http-${res.statusCode}`
      ws.terminate()
    })
    ws.on('open', () => ws.send(`{"type":15,"id":${id}}`))
    ws.once('message', data => {
      answeredAt = performance.now()
      status = statusOf(data)
      ws.terminate()
    })
    ws.on('close', code => {
      if (status === 'no-answer') status = `closed-${code}`
      resolve({ ok: status === 1, status, next, answeredAt })
    })
  })
}

/** Establishes a session, then drops it: its Resume-Id, for resume cycles. */
async function suspendedSession (identity: Identity): Promise<string> {
  const ws = await session(identity, true)
  const resumeId = resumeIds.get(ws)
  ws.terminate()
  if (resumeId === undefined) throw new Error('no Resume-Id header (is RESUME_WINDOW_MS 0?)')
  return resumeId
}

/** Scenario 10: `concurrency` clients, each resuming its one session back to back. */
async function resume (go: Go): Promise<WorkerResult> {
  const tally = new Tally()
  const start = epochToPerf(go.startAt)
  const from = start + go.warmupMs
  const until = from + go.measureMs
  const concurrency = job.concurrency ?? 1
  setTimeout(() => tally.watchLoop(), from - performance.now())
  const client = async (lane: number): Promise<void> => {
    const identity = job.identities[lane % job.identities.length]!
    let resumeId = await suspendedSession(identity)
    await sleep(start - performance.now())
    // Ids never answered before: every cycle runs the packet, none is a replay.
    let id = 1000
    while (performance.now() < until) {
      const t0 = performance.now()
      const outcome = await resumeCycle(resumeId, ++id)
      if (outcome.answeredAt >= from && outcome.answeredAt < until) {
        tally.status(outcome.status)
        if (outcome.ok) {
          tally.ok++
          tally.latency.record(outcome.answeredAt - t0)
        } else {
          tally.failed++
          tally.note(`resume failed: ${outcome.status}`)
        }
      }
      if (outcome.ok && outcome.next !== undefined) resumeId = outcome.next
      else resumeId = await suspendedSession(identity)
    }
  }
  await Promise.all(Array.from({ length: concurrency }, (_, lane) => client(lane)))
  return tally.result()
}

/**
 * Scenario 11: the instance of these sockets drains at `go.startAt`; each socket that
 * hears 1001 resumes on `url2` and sends type 15. Latency runs from the drain's start.
 */
function handover (sockets: WebSocket[], go: Go): Promise<WorkerResult> {
  const tally = new Tally()
  const start = epochToPerf(go.startAt)
  return new Promise(resolve => {
    let pending = sockets.length
    let last = start
    const finish = (): void => {
      clearTimeout(guard)
      resolve(tally.result({ spanMs: last - start }))
    }
    const guard = setTimeout(() => {
      tally.note(`${pending} sockets not resumed 60 s after the drain began`)
      tally.failed += pending
      finish()
    }, start - performance.now() + 60_000)
    const done = (status: number | string): void => {
      tally.status(status)
      if (status === 1) {
        tally.ok++
        last = Math.max(last, performance.now())
        tally.latency.record(performance.now() - start)
      } else {
        tally.failed++
        tally.note(`hand-over failed: ${status}`)
      }
      if (--pending === 0) finish()
    }
    if (pending === 0) return finish()
    for (const ws of [...sockets]) {
      ws.once('close', code => {
        const resumeId = resumeIds.get(ws)
        if (code !== 1001 || resumeId === undefined) return done(`closed-${code}`)
        // With a fresh source address and port, as a reconnecting client would have.
        const next = new WebSocket(job.url2!, { ...clientOptions(), headers: { 'Resume-Id': resumeId } })
        // Held open until the orchestrator has counted the slots, then closed with the rest.
        sockets.push(next)
        let answered = false
        next.on('error', () => {})
        next.on('unexpected-response', (_req, res) => { answered = true; done(`http-${res.statusCode}`); next.terminate() })
        next.on('open', () => next.send('{"type":15,"id":1000}'))
        next.once('message', data => { answered = true; done(statusOf(data)) })
        next.once('close', c => { if (!answered) done(`closed-${c}`) })
      })
    }
  })
}

// --- main -----------------------------------------------------------------------

async function closeAll (sockets: WebSocket[]): Promise<void> {
  await Promise.all(sockets.map(ws => new Promise<void>(resolve => {
    if (ws.readyState === WebSocket.CLOSED) return resolve()
    const timer = setTimeout(() => { ws.terminate(); resolve() }, 5000)
    ws.once('close', () => { clearTimeout(timer); resolve() })
    ws.close()
  })))
}

function run (sockets: WebSocket[], go: Go): Promise<WorkerResult> {
  switch (job.scenario) {
    case 'inSession': return inSession(sockets, go, getCurrentLicense)
    case 'values': return inSession(sockets, go, sessionValues)
    case 'establish': return establish(go)
    case 'fixedRate': return fixedRate(go)
    case 'storm': return storm(sockets, go)
    case 'paced': return paced(sockets, go)
    case 'resume': return resume(go)
    case 'handover': return handover(sockets, go)
    case 'idle': return Promise.resolve(new Tally().result())
  }
}

async function main (): Promise<void> {
  const setup = new Tally()
  let sockets: WebSocket[] = []
  const count = job.sockets ?? 0
  if (job.scenario === 'inSession' || job.scenario === 'values' || job.scenario === 'idle' || job.scenario === 'paced' || job.scenario === 'handover') sockets = await openSessions(count, true, setup)
  else if (job.scenario === 'storm') sockets = await openSessions(count, false, setup)

  let stopping: (() => void) | undefined
  const stopped = new Promise<void>(resolve => { stopping = resolve })
  port.on('message', (message: ToWorker) => {
    if (message.type === 'stop') stopping!()
    else if (message.type === 'go') {
      run(sockets, message).then(result => post({ type: 'result', result }), err => post({ type: 'error', message: String(err) }))
    }
  })
  post({ type: 'ready', opened: sockets.length, failed: setup.failed, notes: setup.notes })
  await stopped
  await closeAll(sockets)
  port.close()
}

main().catch(err => {
  post({ type: 'error', message: err instanceof Error ? err.stack ?? err.message : String(err) })
  process.exit(1)
})
