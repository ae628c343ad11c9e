import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox'
import type { BlacklistService } from '../../src/admin/blacklist.js'
import { AddBlacklistBody, AppParams, BlacklistEntry, BlacklistList, BlacklistParams, Empty, errors } from '../../src/admin/schemas.js'

const tags = ['blacklist']

const blacklistRoutes: FastifyPluginAsyncTypebox<{ blacklist: BlacklistService }> = async (app, { blacklist }) => {
  app.get('/apps/:appId/blacklist', {
    schema: { tags, summary: 'Blacklisted client ids', params: AppParams, response: { 200: BlacklistList, ...errors(400, 404) } }
  }, async request => ({ items: await blacklist.list(request.params.appId) }))

  app.post('/apps/:appId/blacklist', {
    schema: {
      tags,
      summary: 'Blacklist a client id',
      description: 'Its live sessions are closed 4204; new ones fail Initialize with status 503.',
      params: AppParams,
      body: AddBlacklistBody,
      response: { 201: BlacklistEntry, ...errors(400, 404, 409) }
    }
  }, async (request, reply) => {
    const { client_id: clientId, comment } = request.body
    return reply.code(201).send(await blacklist.add(request.params.appId, clientId, comment ?? null))
  })

  app.delete('/apps/:appId/blacklist/:clientId', {
    schema: { tags, summary: 'Lift a client id blacklisting', params: BlacklistParams, response: { 204: Empty, ...errors(400, 404) } }
  }, async (request, reply) => {
    await blacklist.remove(request.params.appId, request.params.clientId)
    return reply.code(204).send()
  })
}

export default blacklistRoutes
