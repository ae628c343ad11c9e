import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox'
import { Type } from '@sinclair/typebox'
import type { AccountsService } from '../../src/admin/accounts.js'
import {
  Account, AccountLicenseParams, AccountPage, AccountParams, AppParams, BlacklistAccountBody, CreateAccountBody,
  Empty, LinkLicenseBody, ListAccountsQuery, PatchAccountBody, errors
} from '../../src/admin/schemas.js'

const tags = ['accounts']

const accountsRoutes: FastifyPluginAsyncTypebox<{ accounts: AccountsService }> = async (app, { accounts }) => {
  app.post('/apps/:appId/accounts', {
    schema: {
      tags,
      summary: 'Create an account, optionally linking (and activating) licenses',
      params: AppParams,
      body: CreateAccountBody,
      response: { 201: Account, ...errors(400, 404, 409, 503) }
    }
  }, async (request, reply) => reply.code(201).send(await accounts.create(request.params.appId, request.body)))

  app.get('/apps/:appId/accounts', {
    schema: {
      tags,
      summary: 'List accounts in creation order, a page at a time; `q` filters logins by prefix',
      params: AppParams,
      querystring: ListAccountsQuery,
      response: { 200: AccountPage, ...errors(400, 404) }
    }
  }, async request => accounts.list(request.params.appId, request.query))

  app.get('/apps/:appId/accounts/:accountId', {
    schema: { tags, summary: 'An account', params: AccountParams, response: { 200: Account, ...errors(400, 404) } }
  }, async request => accounts.get(request.params.appId, request.params.accountId))

  app.patch('/apps/:appId/accounts/:accountId', {
    schema: {
      tags,
      summary: 'Change comment, requires_license, or set a new password',
      params: AccountParams,
      body: PatchAccountBody,
      response: { 200: Account, ...errors(400, 404, 503) }
    }
  }, async request => accounts.update(request.params.appId, request.params.accountId, request.body))

  app.delete('/apps/:appId/accounts/:accountId', {
    schema: {
      tags,
      summary: 'Delete an account (event 302); its licenses are unlinked, not deleted',
      params: AccountParams,
      response: { 204: Empty, ...errors(400, 404) }
    }
  }, async (request, reply) => {
    await accounts.delete(request.params.appId, request.params.accountId)
    return reply.code(204).send()
  })

  app.post('/apps/:appId/accounts/:accountId/blacklist', {
    schema: {
      tags,
      summary: 'Blacklist an account (event 300)',
      params: AccountParams,
      // The body may be left out altogether; Fastify validates a missing body as null.
      body: Type.Union([BlacklistAccountBody, Type.Null()]),
      response: { 200: Account, ...errors(400, 404) }
    }
  }, async request => accounts.blacklist(request.params.appId, request.params.accountId, request.body?.comment ?? null))

  app.post('/apps/:appId/accounts/:accountId/unblacklist', {
    schema: { tags, summary: 'Lift the blacklisting (event 301)', params: AccountParams, response: { 200: Account, ...errors(400, 404) } }
  }, async request => accounts.unblacklist(request.params.appId, request.params.accountId))

  app.post('/apps/:appId/accounts/:accountId/licenses', {
    schema: {
      tags,
      summary: 'Link a license: unlinked, never activated, not blacklisted; the link activates it',
      params: AccountParams,
      body: LinkLicenseBody,
      response: { 200: Account, ...errors(400, 404, 409) }
    }
  }, async request => accounts.link(request.params.appId, request.params.accountId, request.body.key))

  app.delete('/apps/:appId/accounts/:accountId/licenses/:key', {
    schema: {
      tags,
      summary: "Unlink a license; its activation stays. The account's sessions re-check their coverage (event 2 when it lapsed)",
      params: AccountLicenseParams,
      response: { 200: Account, ...errors(400, 404) }
    }
  }, async request => accounts.unlink(request.params.appId, request.params.accountId, request.params.key))
}

export default accountsRoutes
