import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox'
import type { VariablesService } from '../../src/admin/variables.js'
import {
  AppParams, CreateVariableBody, Empty, PatchVariableBody, Variable, VariableList, VariableParams, errors
} from '../../src/admin/schemas.js'

const tags = ['variables']

const variablesRoutes: FastifyPluginAsyncTypebox<{ variables: VariablesService }> = async (app, { variables }) => {
  app.post('/apps/:appId/variables', {
    schema: {
      tags,
      summary: 'Create a variable',
      description: 'Clients read it with packet 11; a protected one only once authorized.',
      params: AppParams,
      body: CreateVariableBody,
      response: { 201: Variable, ...errors(400, 404, 409) }
    }
  }, async (request, reply) => reply.code(201).send(await variables.create(request.params.appId, request.body)))

  app.get('/apps/:appId/variables', {
    schema: { tags, summary: 'The app\'s variables, by name', params: AppParams, response: { 200: VariableList, ...errors(400, 404) } }
  }, async request => ({ items: await variables.list(request.params.appId) }))

  app.get('/apps/:appId/variables/:name', {
    schema: { tags, summary: 'A variable', params: VariableParams, response: { 200: Variable, ...errors(400, 404) } }
  }, async request => variables.get(request.params.appId, request.params.name))

  app.patch('/apps/:appId/variables/:name', {
    schema: {
      tags,
      summary: 'Change a variable\'s content or protection',
      description: 'The next packet 11 on any instance reads the new value; no event is sent.',
      params: VariableParams,
      body: PatchVariableBody,
      response: { 200: Variable, ...errors(400, 404) }
    }
  }, async request => variables.update(request.params.appId, request.params.name, request.body))

  app.delete('/apps/:appId/variables/:name', {
    schema: { tags, summary: 'Delete a variable', params: VariableParams, response: { 204: Empty, ...errors(400, 404) } }
  }, async (request, reply) => {
    await variables.delete(request.params.appId, request.params.name)
    return reply.code(204).send()
  })
}

export default variablesRoutes
