import { randomInt } from 'node:crypto'

const ALPHABET = 'ABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789'

function randomChars (n: number): string {
  let out = ''
  for (let i = 0; i < n; i++) out += ALPHABET[randomInt(ALPHABET.length)]
  return out
}

/** 21 characters of [A-Z0-9] from a CSPRNG (docs/admin-api.md, Apps). */
export function newApiKey (): string {
  return randomChars(21)
}

/** XXXXX-XXXXX-XXXXX-XXXXX: about 103 bits from a CSPRNG. */
export function newLicenseKey (): string {
  return [randomChars(5), randomChars(5), randomChars(5), randomChars(5)].join('-')
}

