import { Type } from '@sinclair/typebox'
import { definePacket } from '../packet.js'
import { reply } from '../reply.js'
import { Text } from '../schema.js'
import { Status } from '../statuses.js'

const INVALID_NAME = reply(Status.VariableInvalidName)
const NOT_FOUND = reply(Status.VariableNotFound)
const NOT_AUTHORIZED = reply(Status.NotAuthorized)

/**
 * Type 11: an app variable, read afresh every time so a change made through the
 * management API on any instance is seen by the next read.
 */
export default definePacket({
  type: 11,
  name: 'get_variable',
  requires: 'initialized',
  schema: Type.Object({ name: Text() }),
  async handle (ctx, session, body) {
    const { name } = body
    if (name.length < 3 || name.length > 64) return INVALID_NAME
    const variable = await ctx.repos.variables.value(session.app.id, name)
    if (variable === undefined) return NOT_FOUND
    if (variable.protected && session.authorization === null) return NOT_AUTHORIZED
    return reply(Status.Ok, { content: variable.content })
  }
})
