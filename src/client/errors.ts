import { PACKET_NAMES, statusName, type StatusName } from './constants.js'

/** A request was answered with a status other than 1 (Ok). */
export class StatusError extends Error {
  override readonly name = 'StatusError'
  /** The status the server answered (docs/protocol.md §6). */
  readonly status: number
  /** Its constant's name, such as `'AlreadyAuthorized'`. */
  readonly statusName: StatusName | 'Unknown'
  /** The packet type of the request. */
  readonly type: number
  /** The whole response as the server sent it, `id` and `status` included. */
  readonly response: Readonly<Record<string, unknown>>

  constructor (type: number, response: Record<string, unknown>) {
    const status = typeof response.status === 'number' ? response.status : NaN
    const name = statusName(status)
    super(`${PACKET_NAMES[type] ?? `packet ${type}`} answered status ${status} (${name})`)
    this.status = status
    this.statusName = name
    this.type = type
    this.response = response
  }
}

/** The connection closed (or could not be opened) before the request was answered. */
export class ClosedError extends Error {
  override readonly name = 'ClosedError'
  /** The WebSocket close code (docs/protocol.md §5); 1006 when the connection broke. */
  readonly code: number
  /** The close reason the server sent ('' for none). */
  readonly reason: string

  constructor (code: number, reason: string, message?: string, options?: { cause?: unknown }) {
    super(message ?? `connection closed: code ${code}${reason === '' ? '' : ` "${reason}"`}`, options)
    this.code = code
    this.reason = reason
  }
}

/** No answer came within the request timeout. The request may still have run. */
export class TimeoutError extends Error {
  override readonly name = 'TimeoutError'
}

/**
 * An argument the protocol would refuse, caught before anything was sent: a length
 * out of the protocol's bounds, a NUL character, a frame over the size limit.
 */
export class InvalidArgumentError extends RangeError {
  override readonly name = 'InvalidArgumentError'
  constructor (readonly field: string, message: string) {
    super(`${field}: ${message}`)
  }
}

/** A downloaded file did not match its checksum, or changed since a download began. */
export class ChecksumError extends Error {
  override readonly name = 'ChecksumError'
  constructor (message: string, readonly expected: string, readonly actual: string) {
    super(message)
  }
}

/** An HTTP download answered an unexpected status. */
export class DownloadError extends Error {
  override readonly name = 'DownloadError'
  constructor (message: string, readonly httpStatus: number) {
    super(message)
  }
}

/** A lease failed verification: bad signature, expired, another device, another nonce, … */
export class LeaseError extends Error {
  override readonly name = 'LeaseError'
  constructor (message: string, options?: { cause?: unknown }) {
    super(message, options)
  }
}
