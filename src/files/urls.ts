import { createHmac, timingSafeEqual } from 'node:crypto'

/** A download token: `<version id>.<expiry, ms since the epoch>.<HMAC-SHA256, base64url>`. */
const TOKEN = /^(\d{1,15})\.(\d{1,15})\.([A-Za-z0-9_-]{43})$/

export type Verified = { versionId: number } | { refused: 'forged' | 'expired' }

/**
 * Signed, short-lived download URLs. The signature covers the file version and the
 * expiry, with a key every instance shares (kept in Postgres), so any instance serves
 * a URL another one made, and the URL carries no admin or license secret.
 */
export class FileUrls {
  constructor (
    private readonly key: Buffer,
    private readonly ttlMs: number,
    /** The plugin's route prefix: the download route lives under it. */
    private readonly prefix: string
  ) {}

  /** The absolute URL of a version, on `origin` (`https://host:port`, from the client's own request). */
  url (origin: string, versionId: number, now: number): string {
    const signed = `${versionId}.${now + this.ttlMs}`
    return `${origin}${this.prefix}/files/${signed}.${this.sign(signed)}`
  }

  verify (token: string, now: number): Verified {
    const match = TOKEN.exec(token)
    if (match === null) return { refused: 'forged' }
    const [, version, expires, signature] = match
    const expected = Buffer.from(this.sign(`${version}.${expires}`))
    if (!timingSafeEqual(expected, Buffer.from(signature!))) return { refused: 'forged' }
    if (Number(expires) <= now) return { refused: 'expired' }
    return { versionId: Number(version) }
  }

  private sign (text: string): string {
    return createHmac('sha256', this.key).update(text).digest('base64url')
  }
}

/** The token with its signature cut short, for logs: enough to tell requests apart, never to replay one. */
export function redactToken (token: string): string {
  const dot = token.lastIndexOf('.')
  return dot === -1 ? '…' : `${token.slice(0, dot + 5)}…`
}
