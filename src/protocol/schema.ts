import { Type } from '@sinclair/typebox'

/**
 * A string field. Postgres cannot store NUL, so a string holding one is an invalid
 * body (4302) rather than a database error. Length rules are statuses, not schema.
 */
export const Text = () => Type.String({ pattern: '^[^\\u0000]*$' })
