import { AjvCompiler } from '@fastify/ajv-compiler'
import swagger from '@fastify/swagger'
import swaggerUi from '@fastify/swagger-ui'
import type { FastifyInstance } from 'fastify'
import { AccountsService } from '../src/admin/accounts.js'
import { AppsService } from '../src/admin/apps.js'
import { bearerChecker } from '../src/admin/auth.js'
import { BlacklistService } from '../src/admin/blacklist.js'
import { FilesService } from '../src/admin/files.js'
import type { AdminContext } from '../src/admin/context.js'
import { HttpError, invalidInput } from '../src/admin/errors.js'
import { requestProblem } from '../src/admin/input-guard.js'
import { LicensesService } from '../src/admin/licenses.js'
import { schemaErrorMessage } from '../src/admin/schema-errors.js'
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

/**
 * AJV's console logger without its one warning about `unicode: false`: AJV calls the
 * option deprecated (code points being its default), yet it is the only way to have
 * its lengths count as ours do, and it still works in AJV 8.
 */
const AJV_LOGGER = {
  log: console.log,
  warn: (...args: unknown[]) => { if (!String(args[0]).includes('option unicode')) console.warn(...args) },
  error: console.error
}

/** Not `swagger`, so a host that documents its own API with @fastify/swagger keeps its decorator. */
const OPENAPI_DECORATOR = 'licensewireOpenapi'

/**
 * The management API (docs/admin-api.md), registered only when admin tokens are
 * configured. Every /admin/v1 route needs a bearer token; the OpenAPI document and
 * the interactive reference at /admin/docs do not: they describe the routes and hold
 * no data, and a browser cannot send a bearer token to open them (the reference asks
 * for it, under "Authorize", before it tries a route).
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
  // coerced, as they must be. An unknown body field is refused, not dropped: a typo
  // (`sesion_limit`) must not succeed while doing nothing. Lengths count UTF-16 code
  // units (JavaScript's `length`), as the protocol and the database checks do; AJV's
  // default counts code points.
  const build = AjvCompiler()
  const utf16 = { unicode: false, logger: AJV_LOGGER }
  const coercing = build({}, { customOptions: utf16 })
  const strict = build({}, { customOptions: { ...utf16, coerceTypes: false, removeAdditional: false } })
  app.setValidatorCompiler(route => (route.httpPart === 'body' ? strict : coercing)(route))
  app.setSchemaErrorFormatter((errors, dataVar) => new Error(schemaErrorMessage(errors, dataVar)))

  app.setErrorHandler((err, request, reply) => {
    // Rethrown, a 4xx (or our own 503 for busy hashing) goes on to the parent handler
    // and is answered as it always was.
    if (statusOf(err) < 500 || (err instanceof HttpError && err.statusCode === 503)) throw err
    request.log.error({ err }, 'management API request failed')
    return reply.code(500).send(INTERNAL)
  })

  // Before the schema: what it cannot say (well-formed strings, bounded nesting, decimal ids).
  app.addHook('preValidation', async request => {
    const problem = requestProblem(request)
    if (problem !== undefined) throw invalidInput(problem)
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
  // Its own scope, so the bearer check covers these routes and not the reference below.
  await app.register(async function managementRoutes (api) {
    const authorized = bearerChecker(options.adminTokens)
    api.addHook('onRequest', async (request, reply) => {
      if (authorized(request.headers.authorization)) return
      reply.header('www-authenticate', 'Bearer')
      throw new HttpError(401, 'missing or invalid admin token')
    })

    const prefix = '/admin/v1'
    await api.register(appsRoutes, { prefix, apps: new AppsService(ctx) })
    await api.register(licensesRoutes, { prefix, licenses: new LicensesService(ctx) })
    await api.register(blacklistRoutes, { prefix, blacklist: new BlacklistService(ctx) })
    await api.register(sessionsRoutes, { prefix, sessions: new SessionsService(ctx) })
    await api.register(variablesRoutes, { prefix, variables: new VariablesService(ctx) })
    await api.register(accountsRoutes, { prefix, accounts: new AccountsService(ctx) })
    await api.register(filesRoutes, { prefix, files: new FilesService(ctx, options.fileMaxBytes), maxBytes: options.fileMaxBytes })
    await api.register(signingKeysRoutes, { prefix, signingKeys: new SigningKeysService(ctx, app.licensewireLeases) })
  })

  const openapi = (app as unknown as Record<typeof OPENAPI_DECORATOR, () => unknown>)[OPENAPI_DECORATOR]
  app.get('/admin/openapi.json', { schema: { hide: true } }, async () => openapi())
  // A host that serves a Swagger UI of its own already has its decorator, which a
  // second one would collide with; it keeps its own and ours is left out.
  if (app.hasDecorator('swaggerCSP')) return
  await app.register(swaggerUi, {
    routePrefix: '/admin/docs',
    staticCSP: true,
    uiConfig: { persistAuthorization: true },
    // The UI reads its document from fastify.swagger(), which is the host's if it has
    // @fastify/swagger of its own (ours is under another decorator), and none
    // otherwise: its document routes answer with ours before that is asked.
    uiHooks: {
      onRequest: async (request, reply) => {
        if (request.routeOptions.url?.endsWith('/json') === true) return reply.send(openapi())
        if (request.routeOptions.url?.endsWith('/yaml') === true) return reply.redirect('../openapi.json')
      }
    }
  })
}
