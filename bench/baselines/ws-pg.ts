/**
 * Baseline (b): a plain `ws` + `pg` server doing by hand the database work
 * licensewire does for a session — what a competent engineer would write without
 * a framework, with the same pool size and pool settings.
 *
 * SQL: it calls the very functions licensewire calls, lw_initialize(),
 * lw_authorize_license() and lw_end_session() from migrations/functions/, with
 * the same unnamed parameterised queries. Why not inline SQL: the quota slot,
 * activation and binding must be atomic, and the functions do that in one round
 * trip per packet; inline statements would need a transaction of several round
 * trips, making the baseline slower and the comparison flattering. With the same
 * statements on both sides, the ratio measures only what licensewire adds in Node
 * (Fastify upgrade path, validation, session bookkeeping, metrics).
 *
 * Like licensewire it answers the packets of one socket in order (a promise chain
 * per socket), releases the session after the close, and registers an instance
 * row so the session rows look the same.
 */
import { randomUUID } from 'node:crypto'
import pg from 'pg'
import { WebSocketServer } from 'ws'
import { healthServer, listen } from './http.js'

pg.types.setTypeParser(pg.types.builtins.INT8, (value: string) => Number(value))

const pool = new pg.Pool({
  connectionString: process.env.DATABASE_URL,
  max: Number(process.env.DATABASE_POOL_MAX ?? 20),
  connectionTimeoutMillis: 5000,
  statement_timeout: 5000,
  idleTimeoutMillis: 30000
})
pool.on('error', () => {})

const instanceId = randomUUID()
await pool.query(
  "INSERT INTO instances (id, lease_expires_at) VALUES ($1, clock_timestamp() + interval '1 day')", [instanceId])

interface Authorized {
  status: number
  levels: Record<string, unknown> | null
  comment: string | null
  ip_address: string | null
  expires_at: number | null
  paused_at: number | null
  now: number
  activated_now: boolean
  license_id: number | null
}

/** The license fields of a type-2 answer (protocol §7 payload rules). */
function licenseReply (id: number, key: string, r: Authorized): string {
  if (r.levels === null) return JSON.stringify({ id, license: key, status: r.status })
  const reply: Record<string, unknown> = { id, license: key, levels: r.levels, comment: r.comment }
  if (r.ip_address !== null) reply.ip_address = r.ip_address
  if (r.status !== 103 && r.expires_at !== null) {
    const left = r.expires_at - (r.paused_at ?? r.now)
    if (left > 0) reply.time_left = r.activated_now && r.status === 1 ? Math.floor(r.expires_at) : Math.floor(left)
  }
  reply.status = r.status
  return JSON.stringify(reply)
}

const server = healthServer()
const wss = new WebSocketServer({ server, path: '/ws', perMessageDeflate: false, maxPayload: 16384 })

wss.on('connection', (socket, request) => {
  const ip = request.socket.remoteAddress ?? ''
  const sessionId = randomUUID()
  let appId: number | null = null
  let clientId = ''
  let authorized = false
  let tail: Promise<void> = Promise.resolve()

  const handle = async (text: string): Promise<void> => {
    let message: { type?: unknown, id?: unknown, websocket_api_key?: unknown, client_id?: unknown, license?: unknown }
    try {
      message = JSON.parse(text) as typeof message
    } catch {
      return socket.close(4300, "packet does not contain mandatory 'type' and/or 'id' fields")
    }
    const { type, id } = message
    if (typeof type !== 'number' || typeof id !== 'number') {
      return socket.close(4300, "packet does not contain mandatory 'type' and/or 'id' fields")
    }
    if (type === 0) {
      const key = message.websocket_api_key
      const client = message.client_id
      if (typeof key !== 'string' || typeof client !== 'string') return socket.close(4302, 'invalid request body')
      if (appId !== null) return socket.send(JSON.stringify({ id, status: 4 }))
      if (key.length !== 21) return socket.send(JSON.stringify({ id, status: 2 }))
      if (client.length < 4 || client.length > 64) return socket.send(JSON.stringify({ id, status: client.length < 4 ? 500 : 501 }))
      const { rows } = await pool.query<{ status: number, app_id: number | null, app_name: string | null, app_version: string | null }>(
        'SELECT * FROM lw_initialize($1, $2, $3, $4, $5, NULL)', [sessionId, instanceId, key, client, ip])
      const r = rows[0]!
      if (r.status !== 1) return socket.send(JSON.stringify({ id, status: r.status }))
      appId = r.app_id
      clientId = client
      return socket.send(JSON.stringify({ id, app_name: r.app_name, app_version: r.app_version, status: 1 }))
    }
    if (appId === null) return socket.close(4200, 'connection is not initialized')
    if (type === 2) {
      const key = message.license
      if (typeof key !== 'string') return socket.close(4302, 'invalid request body')
      if (authorized) return socket.send(JSON.stringify({ id, license: key, status: 7 }))
      if (key.length < 6 || key.length > 64) return socket.send(JSON.stringify({ id, license: key, status: key.length < 6 ? 101 : 102 }))
      const { rows } = await pool.query<Authorized>(
        'SELECT * FROM lw_authorize_license($1, $2, $3, $4, $5)', [sessionId, appId, key, clientId, ip])
      const r = rows[0]!
      if (r.status === 1) authorized = true
      return socket.send(licenseReply(id, key, r))
    }
    return socket.close(4301, 'invalid handler type specified')
  }

  socket.on('error', () => {})
  socket.on('message', (data, isBinary) => {
    if (isBinary) return socket.close(4304, 'received unsupported data')
    const text = data.toString()
    tail = tail.then(() => handle(text)).catch(() => {
      if (socket.readyState === socket.OPEN) socket.close(4000, 'internal server error')
    })
  })
  socket.on('close', () => {
    // After any packet still in flight, so an authorize that lands is released too.
    tail = tail.then(async () => {
      if (appId !== null) await pool.query('SELECT lw_end_session($1)', [sessionId])
    }).catch(() => {})
  })
})

listen(server, 'ws+pg baseline')
