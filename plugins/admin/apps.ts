import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox'
import type { AppsService } from '../../src/admin/apps.js'
import { App, AppDetail, AppList, AppParams, CreateAppBody, Empty, PatchAppBody, errors } from '../../src/admin/schemas.js'

const tags = ['apps']

const appsRoutes: FastifyPluginAsyncTypebox<{ apps: AppsService }> = async (app, { apps }) => {
  app.post('/apps', {
    schema: { tags, summary: 'Create an app', body: CreateAppBody, response: { 201: App, ...errors(400) } }
  }, async (request, reply) => reply.code(201).send(await apps.create(request.body)))

  app.get('/apps', {
    schema: { tags, summary: 'List apps', response: { 200: AppList, ...errors() } }
  }, async () => ({ items: await apps.list() }))

  app.get('/apps/:appId', {
    schema: { tags, summary: 'An app with its session counts', params: AppParams, response: { 200: AppDetail, ...errors(400, 404) } }
  }, async request => apps.get(request.params.appId))

  app.patch('/apps/:appId', {
    schema: {
      tags,
      summary: 'Change an app',
      description: 'Pausing closes its live sessions (event 101, close 4101); a version change pushes event 102.',
      params: AppParams,
      body: PatchAppBody,
      response: { 200: App, ...errors(400, 404) }
    }
  }, async request => apps.update(request.params.appId, request.body))

  app.delete('/apps/:appId', {
    schema: {
      tags,
      summary: 'Delete an app with its licenses',
      description: 'Live sessions get event 100 and close 4102.',
      params: AppParams,
      response: { 204: Empty, ...errors(400, 404) }
    }
  }, async (request, reply) => {
    await apps.delete(request.params.appId)
    return reply.code(204).send()
  })

  app.post('/apps/:appId/rotate-key', {
    schema: {
      tags,
      summary: 'Give the app a new websocket_api_key',
      description: 'The old key stops working for new Initialize calls.',
      params: AppParams,
      response: { 200: App, ...errors(400, 404) }
    }
  }, async request => apps.rotateKey(request.params.appId))
}

export default appsRoutes
