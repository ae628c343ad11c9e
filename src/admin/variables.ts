import { appNotFound, requireApp, type AdminContext } from './context.js'
import { badRequest, conflict, notFound } from './errors.js'
import type { CreateVariableBody, PatchVariableBody, VariableJson } from './schemas.js'
import { variableJson } from './views.js'

const FOREIGN_KEY_VIOLATION = '23503'

const pgCode = (err: unknown): string | undefined =>
  typeof err === 'object' && err !== null && 'code' in err && typeof err.code === 'string' ? err.code : undefined

const variableNotFound = () => notFound('variable not found')

/**
 * Lengths as packet 11 counts them (UTF-16 code units); the schema's limits count code
 * points, so a name of astral characters gets here. A name packet 11 cannot ask for
 * (status 401) is refused.
 */
function checkLengths (body: { name?: string, content?: string }): void {
  if (body.name !== undefined && (body.name.length < 3 || body.name.length > 64)) {
    throw badRequest('body/name must be 3 to 64 UTF-16 code units long')
  }
  if (body.content !== undefined && body.content.length > 16000) {
    throw badRequest('body/content must NOT have more than 16000 UTF-16 code units')
  }
}

/**
 * App variables, read by clients with packet 11. Every read goes to the database,
 * so a change here is seen by the next read on every instance, with no event.
 */
export class VariablesService {
  constructor (private readonly ctx: AdminContext) {}

  async create (appId: number, body: CreateVariableBody): Promise<VariableJson> {
    checkLengths(body)
    const row = await this.ctx.repos.variables.create(appId, body).catch(err => {
      if (pgCode(err) === FOREIGN_KEY_VIOLATION) throw appNotFound(appId)
      throw err
    })
    if (row === undefined) throw conflict('body/name exists already in this app')
    return variableJson(row)
  }

  async list (appId: number): Promise<VariableJson[]> {
    await requireApp(this.ctx.repos, appId)
    return (await this.ctx.repos.variables.list(appId)).map(variableJson)
  }

  async get (appId: number, name: string): Promise<VariableJson> {
    return variableJson(await this.found(appId, await this.ctx.repos.variables.get(appId, name)))
  }

  async update (appId: number, name: string, body: PatchVariableBody): Promise<VariableJson> {
    checkLengths(body)
    return variableJson(await this.found(appId, await this.ctx.repos.variables.update(appId, name, body)))
  }

  async delete (appId: number, name: string): Promise<void> {
    if (await this.ctx.repos.variables.delete(appId, name)) return
    await this.found(appId, undefined)
  }

  /** 404 naming the app when the app is missing, else the variable. */
  private async found<T> (appId: number, value: T | undefined): Promise<T> {
    if (value !== undefined) return value
    await requireApp(this.ctx.repos, appId)
    throw variableNotFound()
  }
}
