/** Inclusive byte positions. */
export interface ByteRange {
  start: number
  end: number
}

const SINGLE = /^bytes=\s*(\d*)\s*-\s*(\d*)\s*$/i

/**
 * The range a `Range` header asks of a file of `size` bytes (RFC 9110 §14.1.2):
 * `bytes=N-`, `bytes=N-M` and `bytes=-S`. undefined means the whole file: no header,
 * or one we do not serve as a range (several ranges, another unit, malformed), which
 * a server may answer with the whole representation. 'unsatisfiable' is a 416.
 */
export function parseRange (header: string | undefined, size: number): ByteRange | 'unsatisfiable' | undefined {
  if (header === undefined) return undefined
  const match = SINGLE.exec(header)
  if (match === null) return undefined
  const [, first = '', last = ''] = match
  if (first === '' && last === '') return undefined
  if (first === '') {
    const suffix = Number(last)
    if (suffix === 0 || size === 0) return 'unsatisfiable'
    return { start: Math.max(0, size - suffix), end: size - 1 }
  }
  const start = Number(first)
  const end = last === '' ? size - 1 : Number(last)
  if (last !== '' && end < start) return undefined
  if (start >= size) return 'unsatisfiable'
  return { start, end: Math.min(end, size - 1) }
}
