import type { InitializedSession, SessionState } from '../session/state.js'
import type { LeaseKeys } from './keys.js'

/** What a lease vouches for besides the session itself. */
export interface LeaseSubject {
  /** The license key; for an account session the covering license's key, when one covers. */
  license?: string
  /** The account, for an account session. */
  login?: string
  levels: Record<string, unknown>
  /** When the license (or the account's coverage) runs out, Unix seconds; null when nothing bounds it. */
  expiresAt: number | null
}

interface Issued {
  lease: string
  kid: string
  /** ms */
  signedAt: number
  /** Unix seconds */
  exp: number
  license: string | undefined
  login: string | undefined
  levels: Record<string, unknown>
  levelsText: string
  expiresAt: number | null
  nonce: string | undefined
}

/** The longest a signed lease is handed out again instead of signing a new one. */
const MAX_REUSE_MS = 60_000

/**
 * Signed leases (docs/protocol.md §8). Each session keeps the last lease it was
 * given: packet 15 in a loop answers with that one as long as every claim and the
 * nonce are the same and it is younger than a minute (a tenth of the lease lifetime
 * when that is shorter), so a busy session costs a signature a minute, not one a packet.
 * The cache hangs off the session object and goes with it; it is not session state.
 */
export class Leases {
  private readonly issued = new WeakMap<SessionState, Issued>()
  private readonly reuseMs: number

  constructor (
    private readonly keys: LeaseKeys,
    private readonly issuer: string,
    private readonly ttlS: number
  ) {
    this.reuseMs = Math.min(MAX_REUSE_MS, ttlS * 100)
  }

  /** A lease for the session's Ok answer; `nowMs` is the server's clock. */
  issue (session: InitializedSession, subject: LeaseSubject, nonce: string | undefined, nowMs: number): string {
    const signer = this.keys.current()
    const last = this.issued.get(session)
    if (last !== undefined && last.kid === signer.kid && nowMs >= last.signedAt && nowMs - last.signedAt < this.reuseMs &&
        last.exp * 1000 > nowMs && same(last, subject, nonce)) {
      return last.lease
    }
    const iat = Math.floor(nowMs / 1000)
    const exp = subject.expiresAt === null ? iat + this.ttlS : Math.min(Math.floor(subject.expiresAt), iat + this.ttlS)
    // Claim order is fixed so equal claims give equal text.
    const claims: Record<string, unknown> = { iss: this.issuer, aud: String(session.app.id), sid: session.id, client_id: session.clientId }
    if (subject.login !== undefined) claims.login = subject.login
    if (subject.license !== undefined) claims.license = subject.license
    claims.levels = subject.levels
    claims.iat = iat
    claims.exp = exp
    if (nonce !== undefined) claims.nonce = nonce
    const lease = signer.sign(claims)
    this.issued.set(session, {
      lease,
      kid: signer.kid,
      signedAt: nowMs,
      exp,
      license: subject.license,
      login: subject.login,
      levels: subject.levels,
      levelsText: JSON.stringify(subject.levels),
      expiresAt: subject.expiresAt,
      nonce
    })
    return lease
  }
}

function same (last: Issued, subject: LeaseSubject, nonce: string | undefined): boolean {
  if (last.nonce !== nonce || last.license !== subject.license || last.login !== subject.login || last.expiresAt !== subject.expiresAt) return false
  if (last.levels === subject.levels) return true
  // A fresh read gives a new object with, most often, the same levels.
  if (last.levelsText !== JSON.stringify(subject.levels)) return false
  last.levels = subject.levels
  return true
}
