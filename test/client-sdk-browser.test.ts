import { before, test } from 'node:test'
import assert from 'node:assert/strict'
import { execFileSync, spawn } from 'node:child_process'
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs'
import { createServer, type Server } from 'node:http'
import net from 'node:net'
import { tmpdir } from 'node:os'
import { extname, join, normalize, resolve } from 'node:path'
import WebSocket from 'ws'
import { testDatabase, type TestDatabase } from './helpers/database.js'
import { startServer, type TestServer } from './helpers/server.js'
import { onEnd } from './helpers/cleanup.js'
import { authorizedSessions, createApp, createLicense } from './helpers/fixtures.js'

// licensewire/client in a real browser (Debian's chromium, headless, driven over the
// DevTools protocol): examples/browser/index.html served with the client built from
// src/, its import map resolving licensewire/client and jose. Without chromium the
// test fails rather than skips: .ci/run installs Debian's.
const CHROMIUM = ['/usr/bin/chromium', '/usr/bin/chromium-browser'].find(p => existsSync(p))
const repo = resolve(import.meta.dirname, '..')

let db: TestDatabase
let server: TestServer
let work: string
let statics: Server

before(async t => {
  if (CHROMIUM === undefined) return
  db = await testDatabase(t)
  server = await startServer(t, db, { connectRateLimitMax: 10000, rateLimitPackets: 1000 })
  work = mkdtempSync(join(tmpdir(), 'licensewire-browser-'))
  onEnd(t, async () => rmSync(work, { recursive: true, force: true }))
  execFileSync(process.execPath, [join(repo, 'node_modules/typescript/bin/tsc'), '-p', join(repo, 'tsconfig.build.json'), '--outDir', join(work, 'dist')], { stdio: 'pipe' })
  // The repository's files, with dist/ from the build above.
  statics = createServer((req, res) => {
    const path = normalize(decodeURIComponent(new URL(req.url!, 'http://x').pathname))
    const file = path.startsWith('/dist/') ? join(work, path) : join(repo, path)
    if (!file.startsWith(repo) && !file.startsWith(work)) { res.writeHead(403).end(); return }
    try {
      const body = readFileSync(file)
      const type = { '.html': 'text/html', '.js': 'text/javascript' }[extname(file)] ?? 'application/octet-stream'
      res.writeHead(200, { 'content-type': type }).end(body)
    } catch {
      res.writeHead(404).end()
    }
  })
  await new Promise<void>(resolve => statics.listen(0, '127.0.0.1', resolve))
  onEnd(t, () => new Promise(resolve => statics.close(() => resolve())))
})

/** A minimal DevTools protocol client over one page. */
class Page {
  private id = 0
  private readonly pending = new Map<number, { resolve: (v: unknown) => void, reject: (e: Error) => void }>()
  private constructor (private readonly ws: WebSocket, private sessionId = '') {
    ws.on('message', data => {
      const m = JSON.parse(data.toString()) as { id?: number, result?: unknown, error?: { message: string } }
      const p = m.id === undefined ? undefined : this.pending.get(m.id)
      if (p === undefined) return
      this.pending.delete(m.id!)
      if (m.error !== undefined) p.reject(new Error(m.error.message))
      else p.resolve(m.result)
    })
  }

  static async open (browserUrl: string): Promise<Page> {
    const ws = new WebSocket(browserUrl, { perMessageDeflate: false })
    await new Promise((resolve, reject) => { ws.once('open', resolve); ws.once('error', reject) })
    const page = new Page(ws)
    const { targetId } = await page.send('Target.createTarget', { url: 'about:blank' }) as { targetId: string }
    page.sessionId = (await page.send('Target.attachToTarget', { targetId, flatten: true }) as { sessionId: string }).sessionId
    return page
  }

  send (method: string, params: Record<string, unknown> = {}): Promise<unknown> {
    const id = ++this.id
    this.ws.send(JSON.stringify({ id, method, params, ...(this.sessionId === '' ? {} : { sessionId: this.sessionId }) }))
    return new Promise((resolve, reject) => this.pending.set(id, { resolve, reject }))
  }

  /** Evaluates an expression in the page (awaiting a promise) and returns its JSON value. */
  async eval<T = unknown> (expression: string): Promise<T> {
    const r = await this.send('Runtime.evaluate', { expression, awaitPromise: true, returnByValue: true }) as {
      result: { value?: T }, exceptionDetails?: { exception?: { description?: string }, text: string }
    }
    if (r.exceptionDetails !== undefined) throw new Error(r.exceptionDetails.exception?.description ?? r.exceptionDetails.text)
    return r.result.value as T
  }

  async until (expression: string, timeoutMs = 10_000): Promise<void> {
    const deadline = Date.now() + timeoutMs
    while (!(await this.eval<boolean>(expression))) {
      if (Date.now() > deadline) throw new Error(`not true in time: ${expression}`)
      await new Promise(resolve => setTimeout(resolve, 50))
    }
  }

  close (): void { this.ws.close() }
}

async function chromium (t: Parameters<typeof onEnd>[0]): Promise<string> {
  const child = spawn(CHROMIUM!, ['--headless=new', '--no-sandbox', '--disable-gpu', '--no-first-run', '--remote-debugging-port=0',
    `--user-data-dir=${join(work, 'profile')}`, 'about:blank'], { stdio: ['ignore', 'ignore', 'pipe'] })
  onEnd(t, async () => {
    const exited = new Promise(resolve => child.once('exit', resolve))
    child.kill('SIGTERM')
    await exited
  })
  return await new Promise<string>((resolve, reject) => {
    let text = ''
    const timer = setTimeout(() => reject(new Error(`chromium did not start: ${text}`)), 60_000)
    child.stderr.on('data', chunk => {
      text += String(chunk)
      const m = /DevTools listening on (ws:\/\/\S+)/.exec(text)
      if (m !== null) { clearTimeout(timer); resolve(m[1]!) }
    })
  })
}

test('the browser example page and the SDK in Chromium: connect, authorize, StatusError, a drop healed by a new session', async t => {
  assert.ok(CHROMIUM !== undefined, 'needs chromium: apt-get install -y chromium (.ci/run installs it)')
  const app = await createApp(db.pool, { name: 'Browser app' })
  const key = await createLicense(db.pool, app.id)
  // A TCP proxy to cut the browser's connection.
  const sockets = new Set<net.Socket>()
  const proxy = net.createServer(socket => {
    const upstream = net.connect(Number(new URL(server.url).port), '127.0.0.1')
    for (const s of [socket, upstream]) { sockets.add(s); s.on('error', () => {}).on('close', () => sockets.delete(s)) }
    socket.pipe(upstream).pipe(socket)
  })
  await new Promise<void>(resolve => proxy.listen(0, '127.0.0.1', resolve))
  onEnd(t, async () => { for (const s of sockets) s.destroy(); await new Promise(resolve => proxy.close(resolve)) })
  const wsUrl = `ws://127.0.0.1:${(proxy.address() as net.AddressInfo).port}/ws`

  const page = await Page.open(await chromium(t))
  onEnd(t, async () => page.close())
  const origin = `http://127.0.0.1:${(statics.address() as net.AddressInfo).port}`
  await page.send('Page.enable')
  await page.send('Page.navigate', { url: `${origin}/examples/browser/index.html` })
  await page.until("typeof window.licensewireLog === 'function'")

  // The page's own form.
  await page.eval(`(() => {
    const form = document.getElementById('form')
    form.url.value = ${JSON.stringify(server.wsUrl)}
    form.apiKey.value = ${JSON.stringify(app.key)}
    form.license.value = ${JSON.stringify(key)}
    form.requestSubmit()
  })()`)
  await page.until("window.licensewireLog().includes('authorized:')")
  const log = await page.eval<string>('window.licensewireLog()')
  assert.match(log, /connected: \{"app_name":"Browser app","app_version":"2\.1\.0"\}/)
  assert.match(log, new RegExp(`authorized: \\{"license":"${key}"`))
  await page.eval("document.getElementById('close').click()")
  await page.until("window.licensewireLog().includes('closed')")

  // The SDK itself, through the page's import map.
  const result = await page.eval<Record<string, unknown>>(`(async () => {
    const { LicenseClient, StatusError } = await import('licensewire/client')
    const c = new LicenseClient({ url: ${JSON.stringify(wsUrl)}, apiKey: ${JSON.stringify(app.key)}, clientId: 'browser-device-2',
      reconnect: { initialDelayMs: 20, maxDelayMs: 200 } })
    window.sdk = c
    window.seen = []
    for (const name of ['reconnecting', 'resumed', 'restarted', 'close']) c.on(name, () => window.seen.push(name))
    const app = await c.connect()
    const count = await c.onlineUsersCount()
    let refused
    try { await c.authorizeByLicense('NOSUCH-LICENSE') } catch (err) { refused = [err instanceof StatusError, err.status, err.statusName] }
    return { app, count, refused }
  })()`)
  assert.deepEqual(result, { app: { app_name: 'Browser app', app_version: '2.1.0' }, count: 1, refused: [true, 100, 'LicenseNotFound'] })
  const second = await createLicense(db.pool, app.id)
  assert.equal(await page.eval(`window.sdk.authorizeByLicense(${JSON.stringify(second)}).then(l => l.license)`), second)

  for (const s of sockets) s.destroy()
  await page.until("window.seen.includes('restarted')")
  assert.deepEqual(await page.eval('window.seen'), ['reconnecting', 'restarted'])
  assert.equal(await page.eval('window.sdk.getCurrentLicense().then(l => l.license)'), second)
  assert.equal(await authorizedSessions(db.pool, app.id), 2, 'the dropped session keeps its slot until its window ends')
  await page.eval('window.sdk.close()')
})
