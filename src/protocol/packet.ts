import type { Static, TSchema } from '@sinclair/typebox'
import type { FastifyBaseLogger } from 'fastify'
import type { Repositories } from '../repositories/index.js'
import type { ResolvedOptions } from '../options.js'
import type { LicenseCache } from '../session/license-cache.js'
import type { Session } from '../session/session.js'
import type { CloseSpec } from './close-codes.js'

/** What a handler needs besides its session: repositories and settings, never Fastify. */
export interface PacketContext {
  repos: Repositories
  options: ResolvedOptions
  instanceId: string
  log: FastifyBaseLogger
  /**
   * Runs a quota-taking call; when it answers 602 while this instance's closed
   * sessions are still giving their slots back, waits for them and runs it once more.
   * A client that closes and at once reconnects finds its old slot free.
   */
  withReleasesSettled: <T extends { status: number }>(call: () => Promise<T>) => Promise<T>
  /** Drops the session's authorization and gives its quota slot back. */
  releaseAuthorization: (session: Session) => Promise<void>
  /** License state for packet 15, cached only while every change to it is heard. */
  licenseCache: LicenseCache
}

/**
 * A response without `id`: the dispatcher puts it first. Build it with `status` as
 * the last field: fields go out in the order the object lists them.
 */
export interface Reply {
  status: number
  [field: string]: unknown
}

/**
 * A reply whose JSON is already written: `body` is everything after `{"id":…,`.
 * For the answers sent most (license payloads), where JSON.stringify of a fresh
 * object per packet cost more than the rest of the dispatch.
 */
export class SerializedReply implements Reply {
  [field: string]: unknown
  constructor (readonly status: number, readonly body: string) {}
}

/** Close the socket, optionally after sending a reply. */
export interface Closing {
  close: CloseSpec
  reply?: Reply
}

export type Outcome = Reply | Closing

export interface PacketDefinition<S extends TSchema = TSchema> {
  type: number
  name: string
  /** Fields of the request beyond the envelope; extra fields are ignored. */
  schema: S
  // Method syntax on purpose: it lets a registry hold packets of different schemas.
  handle (ctx: PacketContext, session: Session, body: Static<S>): Outcome | Promise<Outcome>
}

export function definePacket<S extends TSchema> (packet: PacketDefinition<S>): PacketDefinition<S> {
  return packet
}

export function isClosing (outcome: Outcome): outcome is Closing {
  return 'close' in outcome
}
