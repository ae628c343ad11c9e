import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox'
import { Type } from '@sinclair/typebox'
import type { LicensesService } from '../../src/admin/licenses.js'
import {
  AppParams, BlacklistLicenseBody, CreateLicensesBody, Empty, ExtendLicenseBody, License, LicenseItems,
  LicensePage, LicenseParams, ListLicensesQuery, PatchLicenseBody, errors
} from '../../src/admin/schemas.js'

const tags = ['licenses']

/** Actions without a body: the service method each one calls, and what it does. */
const ACTIONS = {
  pause: { call: 'pause', summary: 'Pause: the remaining time stands still (event 205)' },
  unpause: { call: 'unpause', summary: 'Unpause: the paused span is added to the expiry (event 206)' },
  unblacklist: { call: 'unblacklist', summary: 'Lift the blacklisting (event 202)' },
  'reset-client': { call: 'resetClient', summary: 'Clear the bound client_id and ip_address (event 200)' },
  reinitialize: { call: 'reinitialize', summary: 'Back to never activated (event 203)' }
} as const

const licensesRoutes: FastifyPluginAsyncTypebox<{ licenses: LicensesService }> = async (app, { licenses }) => {
  app.post('/apps/:appId/licenses', {
    schema: {
      tags,
      summary: 'Create licenses: `count` generated keys, or the explicit `keys`',
      params: AppParams,
      body: CreateLicensesBody,
      response: { 201: LicenseItems, ...errors(400, 404, 409) }
    }
  }, async (request, reply) => reply.code(201).send({ items: await licenses.create(request.params.appId, request.body) }))

  app.get('/apps/:appId/licenses', {
    schema: {
      tags,
      summary: 'List licenses in creation order, a page at a time',
      params: AppParams,
      querystring: ListLicensesQuery,
      response: { 200: LicensePage, ...errors(400, 404) }
    }
  }, async request => licenses.list(request.params.appId, request.query))

  app.get('/apps/:appId/licenses/:key', {
    schema: { tags, summary: 'A license', params: LicenseParams, response: { 200: License, ...errors(400, 404) } }
  }, async request => licenses.get(request.params.appId, request.params.key))

  app.patch('/apps/:appId/licenses/:key', {
    schema: {
      tags,
      summary: 'Change levels (replaced whole) or comment',
      params: LicenseParams,
      body: PatchLicenseBody,
      response: { 200: License, ...errors(400, 404) }
    }
  }, async request => licenses.update(request.params.appId, request.params.key, request.body))

  app.delete('/apps/:appId/licenses/:key', {
    schema: {
      tags,
      summary: 'Delete a license (event 204)',
      params: LicenseParams,
      response: { 204: Empty, ...errors(400, 404) }
    }
  }, async (request, reply) => {
    await licenses.delete(request.params.appId, request.params.key)
    return reply.code(204).send()
  })

  for (const [path, action] of Object.entries(ACTIONS)) {
    app.post(`/apps/:appId/licenses/:key/${path}`, {
      schema: { tags, summary: action.summary, params: LicenseParams, response: { 200: License, ...errors(400, 404) } }
    }, async request => licenses[action.call](request.params.appId, request.params.key))
  }

  app.post('/apps/:appId/licenses/:key/blacklist', {
    schema: {
      tags,
      summary: 'Blacklist a license (event 201)',
      params: LicenseParams,
      // The body may be left out altogether; Fastify validates a missing body as null.
      body: Type.Union([BlacklistLicenseBody, Type.Null()]),
      response: { 200: License, ...errors(400, 404) }
    }
  }, async request => licenses.blacklist(request.params.appId, request.params.key, request.body?.comment ?? null))

  app.post('/apps/:appId/licenses/:key/extend', {
    schema: {
      tags,
      summary: 'Add time: to the expiry once activated (from now if expired), else to the duration',
      params: LicenseParams,
      body: ExtendLicenseBody,
      response: { 200: License, ...errors(400, 404) }
    }
  }, async request => licenses.extend(request.params.appId, request.params.key, request.body.duration))
}

export default licensesRoutes
