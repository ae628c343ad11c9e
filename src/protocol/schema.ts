import { Type } from '@sinclair/typebox'

/**
 * A string field. Postgres cannot store NUL, so a string holding one is an invalid
 * body (4302) rather than a database error. Length rules are statuses, not schema,
 * unless the protocol says a longer string is an invalid body (`maxLength`, counted
 * in UTF-16 code units like every protocol length).
 */
export const Text = (options: { maxLength?: number } = {}) => Type.String({ pattern: '^[^\\u0000]*$', ...options })
