import { Type, type StringOptions } from '@sinclair/typebox'
import { WELL_FORMED_NO_NUL } from '../unicode.js'

/**
 * A string field. Postgres cannot store NUL, and would turn a lone surrogate into
 * U+FFFD, so a string holding either is an invalid body (4302) rather than a database
 * error or a silent change. Length rules are statuses, not schema,
 * unless a packet's contract makes a length 4302 (`maxLength` counts UTF-16 units).
 */
export const Text = (options: StringOptions = {}) => Type.String({ pattern: WELL_FORMED_NO_NUL, ...options })

/** `credentials_type` of the account packets: 0 login, 1 e-mail; anything else is 4302. */
export const CredentialsType = () => Type.Union([Type.Literal(0), Type.Literal(1)])
