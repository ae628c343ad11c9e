import type { AddressInfo } from 'node:net'
import type { FastifyInstance } from 'fastify'
import type { ServiceConfig } from './config.js'

/**
 * What a person reads after "Server listening": where each part of the service is.
 * A host bound to every interface is shown as localhost, which a browser on this
 * machine can open.
 */
export function whereToFind (app: FastifyInstance, config: ServiceConfig): string[] {
  const { port } = app.server.address() as AddressInfo
  const host = ['0.0.0.0', '::', ''].includes(config.host) ? 'localhost' : config.host.includes(':') ? `[${config.host}]` : config.host
  const base = `http://${host}:${port}`
  const lines = [`WebSocket: ws://${host}:${port}${config.plugin.wsPath ?? '/ws'}; health: ${base}/readyz`]
  if ((config.plugin.adminTokens ?? []).length > 0) {
    lines.push(`admin console: ${base}/console/ (sign in with ADMIN_TOKEN)`)
    lines.push(`management API: ${base}/admin/v1 (Authorization: Bearer <ADMIN_TOKEN>); interactive API reference: ${base}/admin/docs`)
  } else {
    lines.push(`admin console and management API: off; set ADMIN_TOKEN (16+ characters) to serve the console at ${base}/console/ and the API at ${base}/admin/v1, with its reference at ${base}/admin/docs`)
  }
  return lines
}
