/**
 * An error Fastify's default handler turns into `{statusCode, error, message}`.
 * Messages never carry a license key: 4xx errors are logged.
 */
export class HttpError extends Error {
  constructor (readonly statusCode: number, message: string) {
    super(message)
  }
}

export const badRequest = (message: string): HttpError => new HttpError(400, message)
export const notFound = (message: string): HttpError => new HttpError(404, message)
export const conflict = (message: string): HttpError => new HttpError(409, message)

/** A 400 found by our own input checks, coded as Fastify codes its schema's. */
export const invalidInput = (message: string): HttpError =>
  Object.assign(new HttpError(400, message), { code: 'FST_ERR_VALIDATION' })
