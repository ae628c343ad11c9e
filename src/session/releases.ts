import type { FastifyBaseLogger } from 'fastify'
import { Status } from '../protocol/statuses.js'
import type { SessionsRepository } from '../repositories/sessions.js'
import type { Connection } from './connection.js'
import type { LicenseCache } from './license-cache.js'
import type { SessionState } from './state.js'

/**
 * Giving quota slots back: an authorization dropped (logout, admin action, expiry)
 * or a whole session ended (its socket closed). Ends still under way are tracked, so
 * a quota-taking call that meets a 602 can wait for them and try once more.
 */
export class Releases {
  /** Ends of closed sessions not yet done in the database. */
  private readonly pending = new Set<Promise<void>>()

  constructor (
    private readonly sessions: SessionsRepository,
    private readonly licenseCache: LicenseCache,
    private readonly log: FastifyBaseLogger
  ) {}

  /** Drops the session's authorization and its slot. */
  async dropAuthorization (session: SessionState): Promise<void> {
    if (session.authorization === null) return
    await this.sessions.releaseAuthorization(session.id)
    this.forget(session.deauthorize())
  }

  /**
   * Ends a closed session after the packet it is on: the row goes, with its slot.
   * `inDatabase` false: the row is gone already (this instance retired).
   */
  end (connection: Connection, inDatabase: boolean): void {
    const session = connection.state
    const release = connection.enqueue(async () => {
      if (session.initialized && inDatabase) await this.sessions.end(session.id)
      this.forget(session.deauthorize())
    }, err => this.log.error({ err }, 'could not release a closed session'))
    this.pending.add(release)
    void release.finally(() => this.pending.delete(release))
  }

  async withReleasesSettled<T extends { status: number }> (call: () => Promise<T>): Promise<T> {
    const result = await call()
    if (result.status !== Status.AppSessionsQuotaExceeded || this.pending.size === 0) return result
    await Promise.all(this.pending)
    return call()
  }

  private forget (authorization: SessionState['authorization']): void {
    if (authorization?.kind === 'license') this.licenseCache.forget(authorization.licenseId)
  }
}
