import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox'
import type { SigningKeysService } from '../../src/admin/signing-keys.js'
import { NewSigningKey, SigningKeyList, errors } from '../../src/admin/schemas.js'

const tags = ['signing keys']

const signingKeysRoutes: FastifyPluginAsyncTypebox<{ signingKeys: SigningKeysService }> = async (app, { signingKeys }) => {
  app.get('/signing-keys', {
    schema: { tags, summary: 'Lease signing keys, newest first: the current one and the retired ones', response: { 200: SigningKeyList, ...errors() } }
  }, async () => ({ items: await signingKeys.list() }))

  app.post('/signing-keys/rotate', {
    schema: {
      tags,
      summary: 'Sign leases with a new key',
      description: 'The previous key is retired: it signs no more and stays in the JWKS until every lease it signed has expired. ' +
        '409 when the key comes from LEASE_SIGNING_KEY.',
      response: { 200: NewSigningKey, ...errors(409) }
    }
  }, async () => signingKeys.rotate())
}

export default signingKeysRoutes
