import { isWellFormed } from '../unicode.js'

/**
 * Checks of management API input that JSON Schema cannot express, run before the
 * schema (plugins/admin.ts): a failure is a 400 naming the field, never a 500 from
 * deeper down (a stack overflow in a recursive walk, Postgres refusing a string).
 */

/** How deep a whole body may nest: levels (8) inside a body, with room to spare. */
export const MAX_BODY_DEPTH = 16
/** License levels: at most this many bytes as JSON, and this many levels of nesting. */
export const MAX_LEVELS_BYTES = 4096
export const MAX_LEVELS_DEPTH = 8

/**
 * A JSON value's first problem, or undefined: a string or key that is not well-formed
 * UTF-16 (a lone surrogate, which Postgres would turn into U+FFFD or refuse), or
 * nesting deeper than `maxDepth` (an object or array counts one level). Iterative, so
 * no nesting can overflow the stack.
 */
export function jsonProblem (value: unknown, path: string, maxDepth: number): string | undefined {
  const stack: { value: unknown, path: string, depth: number }[] = [{ value, path, depth: 0 }]
  while (stack.length > 0) {
    const item = stack.pop()!
    if (typeof item.value === 'string') {
      if (!isWellFormed(item.value)) return `${item.path} must be well-formed Unicode (it holds a lone surrogate)`
      continue
    }
    if (typeof item.value !== 'object' || item.value === null) continue
    const depth = item.depth + 1
    if (depth > maxDepth) return `${path} must not nest deeper than ${maxDepth} levels`
    if (Array.isArray(item.value)) {
      item.value.forEach((v, i) => stack.push({ value: v, path: `${item.path}/${i}`, depth }))
      continue
    }
    for (const [k, v] of Object.entries(item.value)) {
      if (!isWellFormed(k)) return `${item.path} has a key that is not well-formed Unicode (it holds a lone surrogate)`
      stack.push({ value: v, path: `${item.path}/${k}`, depth })
    }
  }
  return undefined
}

/** License levels: well-formed, at most MAX_LEVELS_DEPTH deep and MAX_LEVELS_BYTES as JSON. */
export function levelsProblem (levels: unknown, path: string): string | undefined {
  const problem = jsonProblem(levels, path, MAX_LEVELS_DEPTH)
  if (problem !== undefined) return problem
  if (Buffer.byteLength(JSON.stringify(levels) ?? '') > MAX_LEVELS_BYTES) return `${path} must be at most ${MAX_LEVELS_BYTES} bytes as JSON`
  return undefined
}

/** Path ids are decimal: the schema would coerce `0x1`, `1e0` or ` 1` to 1. */
export function idProblem (params: Record<string, unknown>): string | undefined {
  for (const name of ['appId', 'accountId']) {
    const raw = params[name]
    if (typeof raw === 'string' && !/^[0-9]+$/.test(raw)) return `params/${name} must be integer`
  }
  return undefined
}

/** A request's first problem of the kinds above: its path ids, and every string and nesting of params, query and a JSON body. */
export function requestProblem (request: { params: unknown, query: unknown, body: unknown }): string | undefined {
  return idProblem((request.params ?? {}) as Record<string, unknown>) ??
    jsonProblem(request.params, 'params', 1) ??
    jsonProblem(request.query, 'querystring', 2) ??
    // A stream (a file upload) is not JSON and is checked by its route.
    (isJson(request.body) ? jsonProblem(request.body, 'body', MAX_BODY_DEPTH) : undefined)
}

function isJson (body: unknown): boolean {
  if (typeof body !== 'object' || body === null || Array.isArray(body)) return true
  const proto = Object.getPrototypeOf(body)
  return proto === Object.prototype || proto === null
}
