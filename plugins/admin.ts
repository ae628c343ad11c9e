import { AjvCompiler } from '@fastify/ajv-compiler'
import swagger from '@fastify/swagger'
import type { FastifyInstance } from 'fastify'
import { AccountsService } from '../src/admin/accounts.js'
import { AppsService } from '../src/admin/apps.js'
import { bearerChecker } from '../src/admin/auth.js'
import { BlacklistService } from '../src/admin/blacklist.js'
import { FilesService } from '../src/admin/files.js'
import type { AdminContext } from '../src/admin/context.js'
import { HttpError } from '../src/admin/errors.js'
import { LicensesService } from '../src/admin/licenses.js'
import { SessionsService } from '../src/admin/sessions.js'
import { SigningKeysService } from '../src/admin/signing-keys.js'
import { VariablesService } from '../src/admin/variables.js'
import accountsRoutes from './admin/accounts.js'
import appsRoutes from './admin/apps.js'
import blacklistRoutes from './admin/blacklist.js'
import filesRoutes from './admin/files.js'
import licensesRoutes from './admin/licenses.js'
import sessionsRoutes from './admin/sessions.js'
import signingKeysRoutes from './admin/signing-keys.js'
import variablesRoutes from './admin/variables.js'

/** What every 5xx answers: the cause (a Postgres message, say) goes to the log only. */
const INTERNAL = { statusCode: 500, error: 'Internal Server Error', message: 'Internal Server Error' }

/** The status Fastify's own handler would answer with. */
function statusOf (err: unknown): number {
  const { statusCode, status } = (err ?? {}) as { statusCode?: unknown, status?: unknown }
  for (const code of [statusCode, status]) {
    if (typeof code === 'number' && code >= 400 && code <= 599) return code
  }
  return 500
}

/** Not `swagger`, so a host that documents its own API with @fastify/swagger keeps its decorator. */
const OPENAPI_DECORATOR = 'licensewireOpenapi'

/**
 * The management API (docs/admin-api.md), registered only when admin tokens are
 * configured. Every route here, the OpenAPI document included, needs a bearer token.
 */
export default async function licensewireAdmin (app: FastifyInstance, options: { adminTokens: string[], fileMaxBytes: number }): Promise<void> {
  await app.register(swagger, {
    decorator: OPENAPI_DECORATOR,
    openapi: {
      openapi: '3.1.0',
      info: { title: 'licensewire management API', version: '1' },
      components: { securitySchemes: { bearer: { type: 'http', scheme: 'bearer' } } },
      security: [{ bearer: [] }]
    }
  })

  // Our own validators, so the host's Ajv settings cannot change this API. Bodies are
  // JSON and keep their types: with Fastify's default coercion `"session_limit": null`
  // would quietly become 0 and `"name": 5` the name "5". Path and query strings are
  // coerced, as they must be.
  const build = AjvCompiler()
  const coercing = build({}, { customOptions: {} })
  const strict = build({}, { customOptions: { coerceTypes: false } })
  app.setValidatorCompiler(route => (route.httpPart === 'body' ? strict : coercing)(route))

  app.setErrorHandler((err, request, reply) => {
    // Rethrown, a 4xx (or our own 503 for busy hashing) goes on to the parent handler
    // and is answered as it always was.
    if (statusOf(err) < 500 || (err instanceof HttpError && err.statusCode === 503)) throw err
    request.log.error({ err }, 'management API request failed')
    return reply.code(500).send(INTERNAL)
  })

  const authorized = bearerChecker(options.adminTokens)
  app.addHook('onRequest', async (request, reply) => {
    if (authorized(request.headers.authorization)) return
    reply.header('www-authenticate', 'Bearer')
    throw new HttpError(401, 'missing or invalid admin token')
  })

  const ctx: AdminContext = {
    repos: app.licensewireDb.repos,
    // The change is committed already: a failed push must not turn it into an error
    // response. Sessions still read the license afresh on their next packet.
    publish: async event => {
      try {
        await app.licensewireEvents.publish(event)
      } catch (err) {
        app.log.error({ err, event: event.type }, 'publishing a live event failed')
      }
    },
    passwords: app.licensewireHub.ctx.passwords
  }
  const prefix = '/admin/v1'
  await app.register(appsRoutes, { prefix, apps: new AppsService(ctx) })
  await app.register(licensesRoutes, { prefix, licenses: new LicensesService(ctx) })
  await app.register(blacklistRoutes, { prefix, blacklist: new BlacklistService(ctx) })
  await app.register(sessionsRoutes, { prefix, sessions: new SessionsService(ctx) })
  await app.register(variablesRoutes, { prefix, variables: new VariablesService(ctx) })
  await app.register(accountsRoutes, { prefix, accounts: new AccountsService(ctx) })
  await app.register(filesRoutes, { prefix, files: new FilesService(ctx, options.fileMaxBytes), maxBytes: options.fileMaxBytes })
  await app.register(signingKeysRoutes, { prefix, signingKeys: new SigningKeysService(ctx, app.licensewireLeases) })

  const openapi = (app as unknown as Record<typeof OPENAPI_DECORATOR, () => unknown>)[OPENAPI_DECORATOR]
  app.get('/admin/openapi.json', { schema: { hide: true } }, async () => openapi())
}
