import type { AccountView } from '../repositories/accounts.js'
import { reply, type Reply } from './reply.js'

/**
 * The account payload of packets 3 and 16 (docs/protocol.md §7, Accounts), the one
 * place it is built: `login` as stored, `levels` of the covering license that
 * expires last (`{}` when none covers), `comment`, `ip_address` when stored,
 * `time_left` in whole seconds while something covers, `license_required`, a signed
 * `lease` when given (docs/protocol.md §8), then `status`. Without an account (unknown login, wrong
 * password) only the status.
 */
export function accountReply (status: number, account: AccountView | null, lease?: string): Reply {
  if (account === null) return reply(status)
  const fields: Record<string, unknown> = { login: account.login, levels: account.levels ?? {}, comment: account.comment }
  if (account.ip_address !== null) fields.ip_address = account.ip_address
  if (account.expires_at !== null && account.expires_at > account.now) fields.time_left = Math.floor(account.expires_at - account.now)
  fields.license_required = account.requires_license
  if (lease !== undefined) fields.lease = lease
  return reply(status, fields)
}
