import { credentialsStatus, type CredentialsType } from '../accounts/credentials.js'
import { PasswordsBusy } from '../accounts/passwords.js'
import { AccountEvent, type AccountEventCode } from '../events.js'
import { Status } from '../protocol/statuses.js'
import type { AccountChange, AccountRow, CreateResult, NewAccount } from '../repositories/accounts.js'
import { requireApp, type AdminContext } from './context.js'
import { badRequest, conflict, HttpError, notFound } from './errors.js'
import { decodeCursor, encodeCursor } from './licenses.js'
import type { AccountJson, AccountPageJson, CreateAccountBody, ListAccountsQuery, PatchAccountBody } from './schemas.js'
import { accountJson } from './views.js'

const accountNotFound = () => notFound('account not found')

/** What a refused creation or link answers; messages never quote a key or a password. */
function refused (status: number, field: string): HttpError {
  switch (status) {
    case Status.AppUserAlreadyExists: return conflict('body/login is taken in this app')
    case Status.AppAccountsQuotaExceeded: return conflict('the app has as many accounts as its accounts_limit allows')
    case Status.LicenseNotFound: return notFound(`${field}: license not found`)
    case Status.LicenseAlreadyLinked: return conflict(`${field}: the license is linked to an account already`)
    case Status.LicenseAlreadyActivated: return conflict(`${field}: the license is activated already; only a license never activated can be linked`)
    case Status.LicenseBlacklisted: return conflict(`${field}: the license is blacklisted`)
    case Status.AppUserNotFound: return accountNotFound()
    default: return new HttpError(500, `unexpected status ${status}`)
  }
}

const refusedCreation = (result: CreateResult): HttpError => refused(result.status, `body/licenses/${(result.failed_key ?? 1) - 1}`)

const CREDENTIAL_MESSAGES: Record<number, string> = {
  [Status.AppUserLoginTooShort]: 'body/login must be 4 to 320 UTF-16 code units long',
  [Status.AppUserLoginTooLong]: 'body/login must be 4 to 320 UTF-16 code units long',
  [Status.AppUserPasswordTooShort]: 'body/password must be 8 to 128 UTF-16 code units long',
  [Status.AppUserPasswordTooLong]: 'body/password must be 8 to 128 UTF-16 code units long',
  [Status.AppUserInvalidEmail]: 'body/login must be an e-mail address with credentials_type 1'
}

/** The checks of packet 1 (statuses 205–209), as 400s. */
function checkCredentials (login: string, password: string, type: CredentialsType): void {
  const status = credentialsStatus(login, password, type)
  if (status !== Status.Ok) throw badRequest(CREDENTIAL_MESSAGES[status]!)
}

export class AccountsService {
  constructor (private readonly ctx: AdminContext) {}

  /** As packet 1 would, but neither the per-IP limit nor the app's "requires a license" applies. */
  async create (appId: number, body: CreateAccountBody): Promise<AccountJson> {
    checkCredentials(body.login, body.password, body.credentials_type ?? 0)
    const keys = body.licenses ?? []
    keys.forEach((key, i) => {
      if (key.length < 6 || key.length > 64) throw badRequest(`body/licenses/${i} must be 6 to 64 UTF-16 code units long`)
      const first = keys.indexOf(key)
      if (first !== i) throw badRequest(`body/licenses/${i} repeats body/licenses/${first}`)
    })
    await requireApp(this.ctx.repos, appId)
    const input: NewAccount = {
      appId,
      login: body.login,
      credentialsType: body.credentials_type ?? 0,
      passwordHash: null,
      comment: body.comment ?? null,
      requiresLicense: body.requires_license ?? null,
      licenses: keys,
      clientIp: null,
      ipLimit: 0,
      ipWindowMs: 0
    }
    // Checked once without a hash, so a refused call costs no hashing.
    const check = await this.ctx.repos.accounts.create(input)
    if (check.status !== Status.Ok) throw refusedCreation(check)
    const result = await this.ctx.repos.accounts.create({ ...input, passwordHash: await this.hash(body.password) })
    if (result.status !== Status.Ok || result.account_id === null) throw refusedCreation(result)
    return this.get(appId, result.account_id)
  }

  async list (appId: number, query: ListAccountsQuery): Promise<AccountPageJson> {
    const afterId = query.cursor === undefined ? undefined : decodeCursor(query.cursor)
    await requireApp(this.ctx.repos, appId)
    // One extra row tells whether another page exists without a count.
    const rows = await this.ctx.repos.accounts.list(appId, { prefix: query.q, afterId, limit: query.limit + 1 })
    const page = rows.slice(0, query.limit)
    const last = page[page.length - 1]
    return {
      items: page.map(accountJson),
      next_cursor: rows.length > query.limit && last !== undefined ? encodeCursor(Number(last.id)) : null
    }
  }

  async get (appId: number, accountId: number): Promise<AccountJson> {
    return accountJson(await this.found(appId, await this.ctx.repos.accounts.get(appId, accountId)))
  }

  /**
   * A new password is hashed like a created one. Turning requires_license on makes
   * the account's live sessions check their coverage (event 2 when none covers).
   */
  async update (appId: number, accountId: number, body: PatchAccountBody): Promise<AccountJson> {
    if (body.password !== undefined && (body.password.length < 8 || body.password.length > 128)) {
      throw badRequest(CREDENTIAL_MESSAGES[Status.AppUserPasswordTooShort]!)
    }
    await this.found(appId, await this.ctx.repos.accounts.get(appId, accountId))
    const passwordHash = body.password === undefined ? undefined : await this.hash(body.password)
    const patch = { comment: body.comment, requires_license: body.requires_license, passwordHash }
    const { account, changed } = await this.found(appId, await this.ctx.repos.accounts.update(appId, accountId, patch))
    if (changed) await this.coverageChanged(appId, accountId)
    return accountJson(account)
  }

  async delete (appId: number, accountId: number): Promise<void> {
    if (!await this.ctx.repos.accounts.delete(appId, accountId)) await this.found(appId, undefined)
    else await this.publish(appId, accountId, AccountEvent.Deleted)
  }

  blacklist (appId: number, accountId: number, comment: string | null): Promise<AccountJson> {
    return this.act(appId, accountId, this.ctx.repos.accounts.blacklist(appId, accountId, comment), AccountEvent.Blacklisted)
  }

  unblacklist (appId: number, accountId: number): Promise<AccountJson> {
    return this.act(appId, accountId, this.ctx.repos.accounts.unblacklist(appId, accountId), AccountEvent.Unblacklisted)
  }

  /** Same rules as packet 4: the license must be unlinked, never activated and not blacklisted; the link activates it. */
  async link (appId: number, accountId: number, key: string): Promise<AccountJson> {
    await this.found(appId, await this.ctx.repos.accounts.get(appId, accountId))
    const result = await this.ctx.repos.accounts.link(appId, accountId, key)
    if (result.status !== Status.Ok) throw refused(result.status, 'body/key')
    // Its sessions now watch for the new end of their coverage, not the old one.
    await this.coverageChanged(appId, accountId)
    return this.get(appId, accountId)
  }

  /** The license stays as it is, activation included; the account's sessions re-read their coverage. */
  async unlink (appId: number, accountId: number, key: string): Promise<AccountJson> {
    const account = await this.found(appId, await this.ctx.repos.accounts.get(appId, accountId))
    if (await this.ctx.repos.accounts.unlink(appId, accountId, key) === undefined) {
      throw notFound(`license not linked to account ${account.id}`)
    }
    await this.coverageChanged(appId, accountId)
    return this.get(appId, accountId)
  }

  private async hash (password: string): Promise<string> {
    try {
      return await this.ctx.passwords.hash(password)
    } catch (err) {
      if (err instanceof PasswordsBusy) throw new HttpError(503, 'password hashing is busy on this instance; try again')
      throw err
    }
  }

  /** Sessions hear of an action only when it changed the account: a repeated blacklist stays quiet. */
  private async act (appId: number, accountId: number, change: Promise<AccountChange | undefined>, event: AccountEventCode): Promise<AccountJson> {
    const { account, changed } = await this.found(appId, await change)
    if (changed) await this.publish(appId, accountId, event)
    return accountJson(account)
  }

  private async publish (appId: number, accountId: number, event: AccountEventCode): Promise<void> {
    await this.ctx.publish({ type: 'account_changed', appId, accountId, event })
  }

  private async coverageChanged (appId: number, accountId: number): Promise<void> {
    await this.ctx.publish({ type: 'coverage_changed', appId, accountId })
  }

  /** 404 naming the app when the app is missing, else the account. */
  private async found<T extends AccountRow | AccountChange> (appId: number, value: T | undefined): Promise<T> {
    if (value !== undefined) return value
    await requireApp(this.ctx.repos, appId)
    throw accountNotFound()
  }
}
