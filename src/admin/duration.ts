const UNIT_SECONDS: Record<string, number> = {
  y: 365 * 86400,
  w: 7 * 86400,
  d: 86400,
  h: 3600,
  m: 60,
  s: 1
}

/** A century: far beyond any license, and keeps expires_at well inside Postgres' range. */
export const MAX_DURATION_SECONDS = 100 * UNIT_SECONDS.y!

const HINT = 'expected a positive number of seconds or units like "30d", "1h30m", "1y" (s, m, h, d, w, y)'

export class DurationError extends Error {}

/**
 * Parses a license duration: a positive integer of seconds (number or digits), or
 * unit groups such as "1h30m" (s, m, h, d, w, y = 365 d; each unit at most once, in
 * any order). Throws DurationError with a message that quotes the input.
 */
export function parseDuration (input: string | number): number {
  const seconds = typeof input === 'number' ? input : parseText(input)
  if (!Number.isSafeInteger(seconds) || seconds <= 0) {
    throw new DurationError(`invalid duration ${JSON.stringify(input)}: ${HINT}`)
  }
  if (seconds > MAX_DURATION_SECONDS) {
    throw new DurationError(`invalid duration ${JSON.stringify(input)}: at most 100y (${MAX_DURATION_SECONDS} seconds)`)
  }
  return seconds
}

function parseText (input: string): number {
  const text = input.trim()
  if (/^\d+$/.test(text)) return Number(text)
  if (!/^(\d+[smhdwy])+$/.test(text)) return NaN
  let total = 0
  const seen = new Set<string>()
  for (const [, amount, unit] of text.matchAll(/(\d+)([smhdwy])/g)) {
    if (seen.has(unit!)) {
      throw new DurationError(`invalid duration ${JSON.stringify(input)}: unit "${unit}" appears twice`)
    }
    seen.add(unit!)
    total += Number(amount) * UNIT_SECONDS[unit!]!
  }
  return total
}
