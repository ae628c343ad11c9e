/**
 * Baseline (a): a bare `ws` server that answers packets 0, 2, 15 and the session
 * values 12 and 13 with the same JSON licensewire sends, from memory — no database,
 * no validation beyond the envelope, values in a plain Map per socket. It is the
 * ceiling for in-session packets (scenarios 1 and 6) and the memory floor of an idle
 * socket (scenario 4).
 *
 * With BARE_WS_LEASES=1 it is baseline (a′) of `npm run bench -- --leases`: Ok answers
 * of 2 and 15 also carry a lease of licensewire's shape (EdDSA compact JWS, a 43
 * character kid, the same claims), signed once at Authorize and sent again as it is:
 * what the lease's bytes cost a server that never signs twice.
 */
import { generateKeyPairSync, randomUUID, sign } from 'node:crypto'
import { WebSocketServer } from 'ws'
import { healthServer, listen } from './http.js'

const LEASES = process.env.BARE_WS_LEASES === '1'
const { privateKey } = generateKeyPairSync('ed25519')
const HEADER = Buffer.from(JSON.stringify({ alg: 'EdDSA', kid: 'x'.repeat(43), typ: 'lw-lease+jwt' })).toString('base64url')

function signLease (clientId: string, license: string, iat: number, exp: number): string {
  const claims = { iss: 'licensewire', aud: '1', sid: randomUUID(), client_id: clientId, license, levels: LEVELS, iat, exp }
  const input = `${HEADER}.${Buffer.from(JSON.stringify(claims)).toString('base64url')}`
  return `${input}.${sign(null, Buffer.from(input), privateKey).toString('base64url')}`
}

const THIRTY_DAYS = 30 * 86400
const LEVELS = { tier: 'pro' }
const COMMENT = 'bench seat'

const server = healthServer()
const wss = new WebSocketServer({ server, path: '/ws', perMessageDeflate: false, maxPayload: 16384 })

wss.on('connection', (socket, request) => {
  const ip = request.socket.remoteAddress ?? ''
  let initialized = false
  let license: string | null = null
  let expiresAt = 0
  let values: Map<string, string> | null = null
  let clientId = ''
  let lease: string | undefined
  socket.on('error', () => {})
  socket.on('message', (data, isBinary) => {
    if (isBinary) return socket.close(4304, 'received unsupported data')
    let message: { type?: unknown, id?: unknown, license?: unknown, key?: unknown, value?: unknown, client_id?: unknown }
    try {
      message = JSON.parse(data.toString()) as typeof message
    } catch {
      return socket.close(4300, "packet does not contain mandatory 'type' and/or 'id' fields")
    }
    const { type, id } = message
    if (typeof type !== 'number' || typeof id !== 'number') {
      return socket.close(4300, "packet does not contain mandatory 'type' and/or 'id' fields")
    }
    const now = Date.now() / 1000
    switch (type) {
      case 0:
        initialized = true
        clientId = String(message.client_id)
        return socket.send(JSON.stringify({ id, app_name: 'Bench app', app_version: '1.0.0', status: 1 }))
      case 2:
        if (!initialized) return socket.close(4200, 'connection is not initialized')
        license = String(message.license)
        expiresAt = now + THIRTY_DAYS
        if (LEASES) lease = signLease(clientId, license, Math.floor(now), Math.floor(expiresAt))
        return socket.send(JSON.stringify({
          id, license, levels: LEVELS, comment: COMMENT, ip_address: ip, time_left: Math.floor(expiresAt), lease, status: 1
        }))
      case 15:
        if (!initialized) return socket.close(4200, 'connection is not initialized')
        if (license === null) return socket.send(JSON.stringify({ id, status: 3 }))
        return socket.send(JSON.stringify({
          id, license, levels: LEVELS, comment: COMMENT, ip_address: ip, time_left: Math.floor(expiresAt - now), lease, status: 1
        }))
      case 12:
        if (!initialized) return socket.close(4200, 'connection is not initialized')
        values ??= new Map()
        values.set(String(message.key), String(message.value))
        return socket.send(JSON.stringify({ id, status: 1 }))
      case 13: {
        if (!initialized) return socket.close(4200, 'connection is not initialized')
        const value = values?.get(String(message.key))
        return socket.send(JSON.stringify(value === undefined ? { id, status: 700 } : { id, value, status: 1 }))
      }
      default:
        return socket.close(4301, 'invalid handler type specified')
    }
  })
})

listen(server, 'bare-ws baseline')
