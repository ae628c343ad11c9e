import { AccountEvent } from '../events.js'
import type { AccountsRepository } from '../repositories/accounts.js'
import type { Connection } from './connection.js'
import { PanelEvent } from './panel-events.js'
import type { Releases } from './releases.js'

/**
 * An account session's coverage, read again when it may have changed: its known end
 * passed (the expiry watcher), or a linked license or the account's
 * requires_license changed (a live event). An account that requires a license and
 * is no longer covered loses the authorization with event 2, as a license session
 * whose license ran out does; otherwise the session keeps the new end to watch.
 */
export class CoverageCheck {
  constructor (
    private readonly accounts: AccountsRepository,
    private readonly releases: Releases
  ) {}

  /** Run on the session's queue, like every change to its state. */
  async check (connection: Connection): Promise<void> {
    const session = connection.state
    const auth = session.authorization
    if (auth?.kind !== 'account') return
    const account = await this.accounts.current(auth.accountId)
    if (account === undefined) {
      await this.releases.dropAuthorization(session)
      connection.push(AccountEvent.Deleted, {})
    } else if (account.requires_license && account.expires_at === null) {
      await this.releases.dropAuthorization(session)
      connection.push(PanelEvent.SubscriptionExpired, {})
    } else {
      session.authorizationExpires(account.expires_at)
    }
  }
}
