import { InvalidArgumentError } from './errors.js'

// A lone UTF-16 surrogate: not a Unicode character (docs/protocol.md §2).
const LONE_SURROGATE = /[\uD800-\uDBFF](?![\uDC00-\uDFFF])|(?<![\uD800-\uDBFF])[\uDC00-\uDFFF]/

/**
 * A string field as the protocol bounds it: lengths are JavaScript lengths (UTF-16
 * code units), no NUL, no lone surrogate.
 */
export function checkString (field: string, value: unknown, min = 0, max = Infinity): string {
  if (typeof value !== 'string') throw new InvalidArgumentError(field, `must be a string, got ${typeof value}`)
  if (value.length < min || value.length > max) {
    const bounds = max === Infinity ? `at least ${min}` : min === max ? `exactly ${min}` : min === 0 ? `at most ${max}` : `${min} to ${max}`
    throw new InvalidArgumentError(field, `must be ${bounds} characters long, got ${value.length}`)
  }
  if (value.includes('\u0000')) throw new InvalidArgumentError(field, 'must not contain a NUL character')
  if (LONE_SURROGATE.test(value)) throw new InvalidArgumentError(field, 'must be well-formed Unicode (it holds a lone surrogate)')
  return value
}

export function checkInteger (field: string, value: unknown, min = Number.MIN_SAFE_INTEGER, max = Number.MAX_SAFE_INTEGER): number {
  if (typeof value !== 'number' || !Number.isSafeInteger(value)) throw new InvalidArgumentError(field, `must be an integer, got ${String(value)}`)
  if (value < min || value > max) throw new InvalidArgumentError(field, `must be from ${min} to ${max}, got ${value}`)
  return value
}

export function checkCredentialsType (value: unknown): 0 | 1 {
  if (value !== 0 && value !== 1) throw new InvalidArgumentError('credentialsType', `must be 0 (login) or 1 (e-mail), got ${String(value)}`)
  return value
}

/** Bounds from docs/protocol.md §7. */
export const Bounds = {
  apiKey: [21, 21],
  clientId: [4, 64],
  license: [6, 64],
  login: [4, 320],
  password: [8, 128],
  comment: [0, 256],
  nonce: [0, 128],
  filename: [4, 16],
  variable: [3, 64]
} as const satisfies Record<string, readonly [number, number]>

export function bounded (field: keyof typeof Bounds, value: unknown, name: string = field): string {
  const [min, max] = Bounds[field]
  return checkString(name, value, min, max)
}
