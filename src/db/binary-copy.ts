import type { Pool } from 'pg'

/** What pg's client calls on the query it runs; unused hooks are no-ops. */
class CopyOut {
  /** Set by pg's client (and pool): the query's outcome goes through it. */
  callback?: (err: Error | null, bytes?: Buffer) => void
  private readonly parts: Buffer[] = []
  private settled = false

  constructor (readonly text: string) {}

  submit (connection: { query: (text: string) => void }): void {
    connection.query(this.text)
  }

  handleCopyData (message: { chunk: Buffer }): void {
    this.parts.push(message.chunk)
  }

  handleError (err: Error): void {
    this.settle(err)
  }

  handleReadyForQuery (): void {
    this.settle(null)
  }

  private settle (err: Error | null): void {
    if (this.settled) return
    this.settled = true
    this.callback?.(err, err === null ? firstField(this.parts) : undefined)
  }

  handleCommandComplete (): void {}
  handleRowDescription (): void {}
  handleDataRow (): void {}
  handleEmptyQuery (): void {}
  handlePortalSuspended (): void {}
  handleCopyInResponse (): void {}
}

/**
 * Runs `COPY (<one column, at most one row>) TO STDOUT (FORMAT binary)` and answers
 * that value's bytes as they came over the wire (undefined for no row or NULL).
 * A bytea in an ordinary result arrives as hex text: twice the bytes to send, encode
 * and decode. The COPY text cannot take parameters: callers build it from numbers only.
 */
export async function copyOutBinary (pool: Pool, text: string): Promise<Buffer | undefined> {
  // pg-pool answers a submittable with a promise of what reaches its callback;
  // @types/pg types it as the submittable itself.
  return await (pool.query(new CopyOut(text)) as unknown as Promise<Buffer | undefined>)
}

const SIGNATURE = Buffer.from('PGCOPY\n\xff\r\n\0', 'latin1')

/** The first field of the first tuple of COPY's binary format (PostgreSQL docs, "Binary Format"). */
function firstField (parts: Buffer[]): Buffer | undefined {
  // The header and the first tuple normally come in one message, the trailer in the next.
  const data = parts.length === 1 || (parts.length === 2 && parts[1]!.length === 2) ? parts[0]! : Buffer.concat(parts)
  if (data.length < 21 || !data.subarray(0, 11).equals(SIGNATURE)) throw new Error('COPY did not answer in binary format')
  let at = 19 + data.readUInt32BE(15)
  if (data.readInt16BE(at) < 1) return undefined
  at += 2
  const length = data.readInt32BE(at)
  if (length < 0) return undefined
  return data.subarray(at + 4, at + 4 + length)
}
