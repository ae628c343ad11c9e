import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox'
import type { SessionsService } from '../../src/admin/sessions.js'
import { AppParams, Empty, SessionList, SessionParams, errors } from '../../src/admin/schemas.js'

const tags = ['sessions']

const sessionsRoutes: FastifyPluginAsyncTypebox<{ sessions: SessionsService }> = async (app, { sessions }) => {
  app.get('/apps/:appId/sessions', {
    schema: { tags, summary: 'Live sessions on every instance', params: AppParams, response: { 200: SessionList, ...errors(400, 404) } }
  }, async request => ({ items: await sessions.list(request.params.appId) }))

  app.delete('/apps/:appId/sessions/:sessionId', {
    schema: {
      tags,
      summary: 'Disconnect a session',
      description: 'The session gets event 1 and close 4100, on whichever instance holds it.',
      params: SessionParams,
      response: { 204: Empty, ...errors(400, 404) }
    }
  }, async (request, reply) => {
    await sessions.disconnect(request.params.appId, request.params.sessionId)
    return reply.code(204).send()
  })
}

export default sessionsRoutes
