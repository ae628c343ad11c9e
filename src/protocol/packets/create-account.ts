import { Type } from '@sinclair/typebox'
import { credentialsStatus } from '../../accounts/credentials.js'
import { PasswordsBusy } from '../../accounts/passwords.js'
import type { CreateResult } from '../../repositories/accounts.js'
import { definePacket } from '../packet.js'
import { reply, type Reply } from '../reply.js'
import { CredentialsType, Text } from '../schema.js'
import { Status } from '../statuses.js'

/** Type 1: creates an account; does not authorize the session (docs/protocol.md §7, Accounts). */
export default definePacket({
  type: 1,
  name: 'create_account',
  requires: 'initialized',
  schema: Type.Object({
    login: Text(),
    password: Text(),
    credentials_type: CredentialsType(),
    license: Type.Optional(Text()),
    comment: Type.Optional(Text({ maxLength: 256 }))
  }),
  async handle (ctx, session, body) {
    const { login, password, license } = body
    const status = credentialsStatus(login, password, body.credentials_type)
    if (status !== Status.Ok) return reply(status)
    // "Requires a license" (204) is the database's to say, and only without a
    // license, so it never competes with these two.
    if (license !== undefined && license.length < 6) return reply(Status.LicenseTooShort)
    if (license !== undefined && license.length > 64) return reply(Status.LicenseTooLong)
    const input = {
      appId: session.app.id,
      login,
      credentialsType: body.credentials_type,
      passwordHash: null,
      comment: body.comment ?? null,
      requiresLicense: null,
      licenses: license === undefined ? [] : [license],
      clientIp: session.ip,
      ipLimit: ctx.options.accountCreateLimit,
      ipWindowMs: ctx.options.accountCreateWindowMs
    }
    // Checked once without a hash, so a call that would be refused costs no hashing.
    const check = await ctx.repos.accounts.create(input)
    if (check.status !== Status.Ok) return answer(check)
    let passwordHash: string
    try {
      passwordHash = await ctx.passwords.hash(password)
    } catch (err) {
      if (err instanceof PasswordsBusy) return reply(Status.InternalServerError)
      throw err
    }
    return answer(await ctx.repos.accounts.create({ ...input, passwordHash }))
  }
})

function answer (result: CreateResult): Reply {
  return result.status === Status.TooManyRequests ? reply(result.status, { retry_after: result.retry_after }) : reply(result.status)
}
