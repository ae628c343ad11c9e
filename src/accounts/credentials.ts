import { Status } from '../protocol/statuses.js'

/** One `@`, something before it, a dot-separated domain after it, no spaces. */
const EMAIL = /^[^@\s]+@[^@\s.]+(\.[^@\s.]+)+$/

/** `credentials_type`: 0 login and password, 1 e-mail and password. */
export type CredentialsType = 0 | 1

/**
 * The length and form checks of a login and a password (docs/protocol.md §7,
 * Accounts), in their order: the status of the first that fails, or Ok. Lengths
 * are JavaScript lengths (UTF-16 code units), as everywhere in the protocol.
 */
export function credentialsStatus (login: string, password: string, type: CredentialsType): number {
  if (login.length < 4) return Status.AppUserLoginTooShort
  if (login.length > 320) return Status.AppUserLoginTooLong
  if (password.length < 8) return Status.AppUserPasswordTooShort
  if (password.length > 128) return Status.AppUserPasswordTooLong
  if (type === 1 && !EMAIL.test(login)) return Status.AppUserInvalidEmail
  return Status.Ok
}
