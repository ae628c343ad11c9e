import type { RawData } from 'ws'
import { Close } from '../protocol/close-codes.js'
import { isClosing, meets, type Outcome, type PacketContext, type PacketDefinition } from '../protocol/packet.js'
import { createRegistry, type RegisteredPacket } from '../protocol/registry.js'
import { reply } from '../protocol/reply.js'
import { Status } from '../protocol/statuses.js'
import type { Connection } from './connection.js'

/** Records one answered packet: its name, its status (or 'closed') and the handler's time. */
export type PacketRecorder = (type: string, status: number | string, seconds: number) => void

const MAX_ID = Number.MAX_SAFE_INTEGER
const NOT_AUTHORIZED = reply(Status.NotAuthorized)
const INTERNAL_ERROR = reply(Status.InternalServerError)

function isId (value: unknown): value is number {
  return typeof value === 'number' && Number.isInteger(value) && value >= 0 && value <= MAX_ID
}

/** A session step that threw: logged, and the socket closes 4000. */
export function stepFailed (log: PacketContext['log'], connection: Connection, err: unknown): void {
  log.error({ err }, 'session step failed')
  connection.close(Close.Internal)
}

/**
 * What happens to a frame: the guards of docs/protocol.md §2 in their order, what the packet
 * requires, then its handler, its answer, and the rate limit of §4. Frames of one
 * session run one at a time through its queue, so answers leave in arrival order.
 */
export class Dispatcher {
  private readonly registry: Map<number, RegisteredPacket>
  private readonly onStepError: (connection: Connection) => (err: unknown) => void

  constructor (
    private readonly ctx: PacketContext,
    packets: PacketDefinition[],
    private readonly record: PacketRecorder,
    /** True when the WebSocket server enforces maxPayload itself (closing 1009). */
    private readonly payloadLimitedByWs: boolean
  ) {
    this.registry = createRegistry(packets)
    this.onStepError = connection => err => stepFailed(ctx.log, connection, err)
  }

  frame (connection: Connection, data: RawData, isBinary: boolean): void {
    if (connection.closing) return
    // While a resume is being claimed, frames wait for it and are charged to the
    // resumed session's bucket when they run; no more than a bucket's worth may wait.
    if (connection.resuming) {
      if (++connection.waitingFrames > connection.capacity) {
        connection.closing = true
        connection.enqueue(() => this.rateLimited(connection), this.onStepError(connection))
        return
      }
      connection.enqueue(() => this.process(connection, data, isBinary, connection.takeToken()), this.onStepError(connection))
      return
    }
    const withinRate = connection.takeToken()
    // A frame over the rate ends the session whatever else is wrong with it, so
    // nothing after it is taken: the queue never holds more than the bucket allows.
    if (!withinRate) connection.closing = true
    connection.enqueue(() => this.process(connection, data, isBinary, withinRate), this.onStepError(connection))
  }

  /** Pings count toward the packet rate limit (docs/protocol.md §4). */
  ping (connection: Connection): void {
    if (connection.closing || connection.takeToken()) return
    connection.closing = true
    connection.enqueue(() => this.rateLimited(connection), this.onStepError(connection))
  }

  private process (connection: Connection, data: RawData, isBinary: boolean, withinRate: boolean): void | Promise<void> {
    if (connection.socket.readyState !== 1) return
    if (isBinary) return connection.close(Close.UnsupportedData)
    const text = Buffer.isBuffer(data) ? data : Array.isArray(data) ? Buffer.concat(data) : Buffer.from(data)
    if (!this.payloadLimitedByWs && text.length > this.ctx.options.maxPayloadBytes) return connection.close(Close.TooBig)
    let message: unknown
    try {
      message = JSON.parse(text.toString('utf8'))
    } catch {
      return connection.close(Close.BrokenEnvelope)
    }
    if (typeof message !== 'object' || message === null || Array.isArray(message)) return connection.close(Close.BrokenEnvelope)
    const { type, id } = message as { type?: unknown, id?: unknown }
    if (!isId(type) || !isId(id)) return connection.close(Close.BrokenEnvelope)
    const packet = this.registry.get(type)
    if (packet === undefined) return connection.close(Close.UnknownType)
    if (!withinRate) return this.rateLimited(connection)
    // A resumed session answers an id it answered before the drop again, without running it.
    if (connection.replay(id)) return
    const session = connection.state
    const { requires } = packet.definition
    if (requires !== 'nothing' && !session.initialized) return connection.close(Close.NotInitialized)
    if (!packet.check.Check(message)) return connection.close(Close.InvalidBody)

    const started = performance.now()
    let outcome: Outcome | Promise<Outcome>
    if (!meets(session, requires)) {
      outcome = NOT_AUTHORIZED
    } else {
      try {
        outcome = packet.definition.handle(this.ctx, session as never, message)
      } catch (err) {
        outcome = this.handlerFailed(packet, err)
      }
    }
    // Most answers need no database: they go out without a trip through the microtask queue.
    if (!(outcome instanceof Promise)) return this.answer(connection, packet, id, outcome, started)
    return outcome.then(
      result => this.answer(connection, packet, id, result, started),
      err => this.answer(connection, packet, id, this.handlerFailed(packet, err), started))
  }

  private handlerFailed (packet: RegisteredPacket, err: unknown): Outcome {
    this.ctx.log.error({ err, packet: packet.definition.name }, 'packet handler failed')
    return INTERNAL_ERROR
  }

  private answer (connection: Connection, packet: RegisteredPacket, id: number, outcome: Outcome, started: number): void {
    const answer = isClosing(outcome) ? outcome.reply : outcome
    if (answer !== undefined) connection.reply(id, answer)
    this.record(packet.definition.name, answer?.status ?? 'closed', (performance.now() - started) / 1000)
    if (isClosing(outcome)) connection.close(outcome.close)
  }

  private rateLimited (connection: Connection): void {
    connection.close(Close.RateLimitHit)
    const ms = this.ctx.options.rateLimitCooldownMs
    if (ms > 0) {
      this.ctx.repos.cooldowns.start(connection.state.ip, ms)
        .catch(err => this.ctx.log.error({ err }, 'could not record a rate-limit cool-down'))
    }
  }
}
