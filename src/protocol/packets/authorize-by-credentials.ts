import { Type } from '@sinclair/typebox'
import { credentialsStatus } from '../../accounts/credentials.js'
import { PasswordsBusy } from '../../accounts/passwords.js'
import { accountReply } from '../account-payload.js'
import { accountLease, INVALID_NONCE, leaseNonce, Nonce } from '../lease.js'
import { definePacket } from '../packet.js'
import { reply } from '../reply.js'
import { CredentialsType, Text } from '../schema.js'
import { Status } from '../statuses.js'

const NOT_FOUND = reply(Status.AppUserNotFound)

/**
 * Type 3: authorizes the session by an account's login and password, optionally
 * linking a license on the way (docs/protocol.md §7, Accounts). An unknown login and
 * a wrong password cost one password check each and answer the same.
 */
export default definePacket({
  type: 3,
  name: 'authorize_by_credentials',
  requires: 'initialized',
  schema: Type.Object({
    login: Text(),
    password: Text(),
    credentials_type: CredentialsType(),
    license: Type.Optional(Text()),
    nonce: Nonce
  }),
  async handle (ctx, session, body) {
    const nonce = leaseNonce(session, body.nonce)
    if (nonce === null) return INVALID_NONCE
    const { login, password } = body
    const key = body.license ?? null
    if (session.authorization !== null) return reply(Status.AlreadyAuthorized)
    const status = credentialsStatus(login, password, body.credentials_type)
    if (status !== Status.Ok) return reply(status)
    if (key !== null && key.length < 6) return reply(Status.LicenseTooShort)
    if (key !== null && key.length > 64) return reply(Status.LicenseTooLong)

    const account = await ctx.repos.accounts.credentials(session.app.id, login)
    let matches: boolean
    try {
      matches = await ctx.passwords.verify(account?.password_hash, password)
    } catch (err) {
      if (err instanceof PasswordsBusy) return reply(Status.InternalServerError)
      throw err
    }
    if (!matches || account === undefined) return NOT_FOUND

    const input = { sessionId: session.id, appId: session.app.id, accountId: account.id, key, ip: session.ip }
    const result = await ctx.withReleasesSettled(() => ctx.repos.sessions.authorizeAccount(input))
    // Deleted since the password was checked.
    if (result.login === null) return NOT_FOUND
    if (result.status !== Status.Ok) return accountReply(result.status, result)
    session.authorize({ kind: 'account', accountId: account.id, login: result.login, expiresAt: result.expires_at })
    return accountReply(result.status, result, accountLease(ctx, session, result, nonce))
  }
})
