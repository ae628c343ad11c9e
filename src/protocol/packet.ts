import type { Static, TSchema } from '@sinclair/typebox'
import type { FastifyBaseLogger } from 'fastify'
import type { Passwords } from '../accounts/passwords.js'
import type { Leases } from '../leases/lease.js'
import type { LiveEvent } from '../events.js'
import type { FileUrls } from '../files/urls.js'
import type { Repositories } from '../repositories/index.js'
import type { ResolvedOptions } from '../options.js'
import type { LicenseCache } from '../session/license-cache.js'
import type { AccountSession, AuthorizedSession, InitializedSession, LicenseSession, SessionState } from '../session/state.js'
import type { CloseSpec } from './close-codes.js'
import type { Reply } from './reply.js'

/** Everything a handler may use besides its session: never Fastify, never the socket. */
export interface PacketContext {
  repos: Repositories
  options: ResolvedOptions
  instanceId: string
  log: FastifyBaseLogger
  /** Milliseconds since the epoch; the one clock handlers read. */
  now: () => number
  /** Delivers a live event to every instance, this one included. */
  publish: (event: LiveEvent) => Promise<void>
  /**
   * Runs a quota-taking call; when it answers 602 while this instance's closed
   * sessions are still giving their slots back, waits for them and runs it once more.
   * A client that closes and at once reconnects finds its old slot free.
   */
  withReleasesSettled: <T extends { status: number }>(call: () => Promise<T>) => Promise<T>
  /** Drops the session's authorization and gives its quota slot back. */
  releaseAuthorization: (session: SessionState) => Promise<void>
  /** License state for packet 15, cached only while every change to it is heard. */
  licenseCache: LicenseCache
  /** This instance's bounded password hashing (accounts). */
  passwords: Passwords
  /** Signs file download URLs (packet 7). */
  fileUrls: FileUrls
  /** Signs the leases of apps with signed_leases on, reusing a session's last one while it holds. */
  leases: Leases
}

/** Close the socket, optionally after sending a reply. */
export interface Closing {
  close: CloseSpec
  reply?: Reply
}

export type Outcome = Reply | Closing

/**
 * What a packet needs before its handler runs. The dispatcher enforces it: a packet
 * other than 'nothing' before Initialize closes 4200; an authorization it needs and
 * the session lacks answers 3 NotAuthorized.
 */
export type Requirement = 'nothing' | 'initialized' | 'license' | 'account' | 'authorized'

/** The session as a handler with that requirement sees it. */
export interface SessionFor {
  nothing: SessionState
  initialized: InitializedSession
  license: LicenseSession
  account: AccountSession
  authorized: AuthorizedSession
}

export interface PacketDefinition<S extends TSchema = TSchema, R extends Requirement = Requirement> {
  type: number
  name: string
  requires: R
  /** Fields of the request beyond the envelope; extra fields are ignored. */
  schema: S
  // Method syntax on purpose: it lets a registry hold packets of different schemas.
  handle (ctx: PacketContext, session: SessionFor[R], body: Static<S>): Outcome | Promise<Outcome>
}

export function definePacket<S extends TSchema, R extends Requirement> (packet: PacketDefinition<S, R>): PacketDefinition<S, R> {
  return packet
}

export function isClosing (outcome: Outcome): outcome is Closing {
  return 'close' in outcome
}

/** Whether a session meets a requirement. */
export function meets (session: SessionState, requires: Requirement): boolean {
  switch (requires) {
    case 'nothing': return true
    case 'initialized': return session.initialized
    case 'authorized': return session.authorization !== null
    default: return session.authorization?.kind === requires
  }
}
