import type { FastifyBaseLogger } from 'fastify'
import type { LicensesRepository } from '../repositories/licenses.js'
import type { Connection } from './connection.js'
import type { CoverageCheck } from './coverage.js'
import { stepFailed } from './dispatch.js'
import { PanelEvent } from './panel-events.js'
import type { Releases } from './releases.js'
import type { LicenseAuthorization } from './state.js'

/** How often held authorizations are checked for expiry (event 2 within 2 s of it). */
const CHECK_MS = 1000

/**
 * Authorizations running out while connected. Once the known end has passed, it is
 * read again (a license may have been extended, an account may have another
 * license): a license really expired drops the authorization with event 2
 * SubscriptionExpired; an account is handed to the coverage check, which does the
 * same when the account requires a license.
 */
export class ExpiryWatcher {
  private timer: NodeJS.Timeout | undefined

  constructor (
    private readonly connections: Iterable<Connection>,
    private readonly licenses: LicensesRepository,
    private readonly coverage: CoverageCheck,
    private readonly releases: Releases,
    private readonly log: FastifyBaseLogger,
    private readonly now: () => number
  ) {}

  start (): void {
    this.timer = setInterval(() => this.check(), CHECK_MS).unref()
  }

  stop (): void {
    clearInterval(this.timer)
  }

  private check (): void {
    const now = this.now() / 1000
    for (const connection of this.connections) {
      const session = connection.state
      const due = session.authorization?.expiresAt
      if (due === undefined || due === null || due > now || connection.closing) continue
      session.authorizationExpires(null) // one check at a time
      const auth = session.authorization
      connection.enqueue(async () => {
        if (session.authorization !== auth || auth === null) return
        try {
          if (auth.kind === 'account') await this.coverage.check(connection)
          else await this.license(connection, auth)
        } catch (err) {
          session.authorizationExpires(due) // try again on the next tick
          this.log.error({ err }, 'expiry check failed')
        }
      }, err => stepFailed(this.log, connection, err))
    }
  }

  private async license (connection: Connection, auth: LicenseAuthorization): Promise<void> {
    const session = connection.state
    const license = await this.licenses.current(auth.licenseId)
    if (license !== undefined && license.expires_at !== null && license.expires_at > license.now) {
      session.authorizationExpires(license.expires_at) // extended meanwhile
      return
    }
    await this.releases.dropAuthorization(session)
    connection.push(PanelEvent.SubscriptionExpired, {})
  }
}
