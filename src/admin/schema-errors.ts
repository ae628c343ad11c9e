import type { FastifySchemaValidationError } from 'fastify'
import { WELL_FORMED_NO_NUL } from '../unicode.js'

/**
 * Fastify's message for a failed schema (`body/name must be string`, several joined
 * by ", "), told in the user's terms where AJV's own words leave them guessing: an
 * enum or a union of constants lists the allowed values, an unknown field is named,
 * and the string pattern says what it forbids.
 */
export function schemaErrorMessage (errors: FastifySchemaValidationError[], dataVar: string): string {
  const parts: string[] = []
  const constants = new Map<string, unknown[]>()
  for (const e of errors) {
    const path = dataVar + (e.instancePath ?? '')
    const params = (e.params ?? {}) as Record<string, unknown>
    switch (e.keyword) {
      case 'enum':
        parts.push(`${path} must be one of ${list(params.allowedValues as unknown[])}`)
        break
      case 'const': {
        // A union of literals fails once per literal: gathered into one list below.
        const seen = constants.get(path) ?? []
        if (seen.length === 0) {
          constants.set(path, seen)
          parts.push(path)
        }
        seen.push(params.allowedValue)
        break
      }
      case 'type':
        // The null branch of a nullable union: the other branch's complaint says more.
        if (params.type === 'null' && errors.some(o => o.keyword === 'anyOf' && o.instancePath === e.instancePath)) break
        parts.push(`${path} ${e.message ?? 'is invalid'}`)
        break
      case 'anyOf':
        // "must match a schema in anyOf" adds nothing to the alternatives listed before it.
        if (!errors.some(o => o !== e && o.instancePath.startsWith(e.instancePath) && !(o.keyword === 'type' && o.params.type === 'null'))) {
          parts.push(`${path} ${e.message ?? 'is invalid'}`)
        }
        break
      case 'additionalProperties':
        parts.push(`${path} must not have the unknown field "${String(params.additionalProperty)}"`)
        break
      case 'pattern':
        parts.push(params.pattern === WELL_FORMED_NO_NUL
          ? `${path} must match pattern: no NUL characters and no lone surrogates`
          : `${path} ${e.message ?? 'is invalid'}`)
        break
      default:
        parts.push(`${path} ${e.message ?? 'is invalid'}`)
    }
  }
  return parts.map(part => constants.has(part) ? `${part} must be one of ${list(constants.get(part)!)}` : part).join(', ')
}

function list (values: unknown[]): string {
  return values.map(v => JSON.stringify(v)).join(', ')
}
