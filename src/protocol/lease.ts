import { Type } from '@sinclair/typebox'
import type { AccountView } from '../repositories/accounts.js'
import type { InitializedSession } from '../session/state.js'
import { isWellFormed } from '../unicode.js'
import { Close } from './close-codes.js'
import type { Closing, PacketContext } from './packet.js'

const MAX_NONCE = 128

/**
 * The optional `nonce` of packets 2, 3, 15 and 16 (docs/protocol.md §8). Checked in
 * the handler, not by the schema: with the app's signed leases off the field is
 * ignored like any unknown field, so those answers stay what they always were.
 */
export const Nonce = Type.Optional(Type.Unknown({ description: 'string of at most 128 characters, echoed in the lease' }))

export const INVALID_NONCE: Closing = { close: Close.InvalidBody }

/**
 * The nonce to put in the session's lease: undefined when leases are off or none was
 * sent, null when the one sent is not a well-formed string of at most 128 characters
 * (close 4302).
 */
export function leaseNonce (session: InitializedSession, nonce: unknown): string | undefined | null {
  if (session.app.signedLeases !== true || nonce === undefined) return undefined
  return typeof nonce === 'string' && nonce.length <= MAX_NONCE && isWellFormed(nonce) ? nonce : null
}

/**
 * The lease of an Ok account answer (packets 3 and 16), when the app signs leases:
 * the login, and the key, levels and expiry of the covering license (none when
 * nothing covers an account that needs no license; then only the lifetime bounds it).
 */
export function accountLease (ctx: PacketContext, session: InitializedSession, account: AccountView, nonce: string | undefined): string | undefined {
  if (session.app.signedLeases !== true) return undefined
  return ctx.leases.issue(session, {
    login: account.login,
    license: account.license_key ?? undefined,
    levels: account.levels ?? {},
    expiresAt: account.expires_at
  }, nonce, ctx.now())
}
