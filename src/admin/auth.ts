import { createHash, timingSafeEqual } from 'node:crypto'

const digest = (token: string): Buffer => createHash('sha256').update(token).digest()

/**
 * Checks `Authorization: Bearer <token>` against every configured token. Digests
 * have equal length, so timingSafeEqual applies, and every token is compared so the
 * time taken does not tell which one (or how many) almost matched.
 */
export function bearerChecker (tokens: string[]): (header: string | undefined) => boolean {
  const expected = tokens.map(digest)
  return header => {
    const match = /^Bearer +(\S+) *$/i.exec(header ?? '')
    if (match === null) return false
    const given = digest(match[1]!)
    let ok = false
    for (const token of expected) ok = timingSafeEqual(token, given) || ok
    return ok
  }
}
