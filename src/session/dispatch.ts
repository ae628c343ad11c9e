import type { RawData } from 'ws'
import { Close } from '../protocol/close-codes.js'
import { isClosing, type Outcome, type PacketContext, type PacketDefinition } from '../protocol/packet.js'
import { createRegistry, type RegisteredPacket } from '../protocol/registry.js'
import { Status } from '../protocol/statuses.js'
import type { Session } from './session.js'

/** Records one answered packet: its name, its status (or 'closed') and the handler's time. */
export type PacketRecorder = (type: string, status: number | string, seconds: number) => void

const MAX_ID = Number.MAX_SAFE_INTEGER

function isId (value: unknown): value is number {
  return typeof value === 'number' && Number.isInteger(value) && value >= 0 && value <= MAX_ID
}

/** A session step that threw: logged, and the socket closes 4000. */
export function stepFailed (ctx: Pick<PacketContext, 'log'>, session: Session, err: unknown): void {
  ctx.log.error({ err }, 'session step failed')
  session.close(Close.Internal)
}

/**
 * What happens to a frame: the guards of docs/protocol.md §2 in their order, then the
 * packet's handler, its answer, and the rate limit of §4. Frames of one session run
 * one at a time through the session's queue, so answers leave in arrival order.
 */
export class Dispatcher {
  private readonly registry: Map<number, RegisteredPacket>

  constructor (
    private readonly ctx: PacketContext,
    packets: PacketDefinition[],
    private readonly record: PacketRecorder,
    /** True when the WebSocket server enforces maxPayload itself (closing 1009). */
    private readonly payloadLimitedByWs: boolean
  ) {
    this.registry = createRegistry(packets)
  }

  frame (session: Session, data: RawData, isBinary: boolean): void {
    if (session.closing) return
    const withinRate = session.bucket.take()
    // A frame over the rate ends the session whatever else is wrong with it, so
    // nothing after it is taken: the queue never holds more than the bucket allows.
    if (!withinRate) session.closing = true
    session.enqueue(() => this.process(session, data, isBinary, withinRate), err => stepFailed(this.ctx, session, err))
  }

  /** Pings count toward the packet rate limit (docs/protocol.md §4). */
  ping (session: Session): void {
    if (session.closing || session.bucket.take()) return
    session.closing = true
    session.enqueue(() => this.rateLimited(session), err => stepFailed(this.ctx, session, err))
  }

  private process (session: Session, data: RawData, isBinary: boolean, withinRate: boolean): void | Promise<void> {
    if (session.socket.readyState !== 1) return
    if (isBinary) return session.close(Close.UnsupportedData)
    const text = Buffer.isBuffer(data) ? data : Array.isArray(data) ? Buffer.concat(data) : Buffer.from(data)
    if (!this.payloadLimitedByWs && text.length > this.ctx.options.maxPayloadBytes) return session.close(Close.TooBig)
    let message: unknown
    try {
      message = JSON.parse(text.toString('utf8'))
    } catch {
      return session.close(Close.BrokenEnvelope)
    }
    if (typeof message !== 'object' || message === null || Array.isArray(message)) return session.close(Close.BrokenEnvelope)
    const { type, id } = message as { type?: unknown, id?: unknown }
    if (!isId(type) || !isId(id)) return session.close(Close.BrokenEnvelope)
    const packet = this.registry.get(type)
    if (packet === undefined) return session.close(Close.UnknownType)
    if (!withinRate) return this.rateLimited(session)
    if (!session.initialized && type !== 0) return session.close(Close.NotInitialized)
    if (!packet.check.Check(message)) return session.close(Close.InvalidBody)

    const started = performance.now()
    let outcome: Outcome | Promise<Outcome>
    try {
      outcome = packet.definition.handle(this.ctx, session, message)
    } catch (err) {
      outcome = this.handlerFailed(packet, err)
    }
    // Most answers need no database: they go out without a trip through the microtask queue.
    if (!(outcome instanceof Promise)) return this.answer(session, packet, id, outcome, started)
    return outcome.then(
      result => this.answer(session, packet, id, result, started),
      err => this.answer(session, packet, id, this.handlerFailed(packet, err), started))
  }

  private handlerFailed (packet: RegisteredPacket, err: unknown): Outcome {
    this.ctx.log.error({ err, packet: packet.definition.name }, 'packet handler failed')
    return { status: Status.InternalServerError }
  }

  private answer (session: Session, packet: RegisteredPacket, id: number, outcome: Outcome, started: number): void {
    const reply = isClosing(outcome) ? outcome.reply : outcome
    if (reply !== undefined) session.reply(id, reply)
    this.record(packet.definition.name, reply?.status ?? 'closed', (performance.now() - started) / 1000)
    if (isClosing(outcome)) session.close(outcome.close)
  }

  private rateLimited (session: Session): void {
    session.close(Close.RateLimitHit)
    const ms = this.ctx.options.rateLimitCooldownMs
    if (ms > 0) {
      this.ctx.repos.cooldowns.start(session.ip, ms)
        .catch(err => this.ctx.log.error({ err }, 'could not record a rate-limit cool-down'))
    }
  }
}
