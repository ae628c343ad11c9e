import { requireApp, type AdminContext } from './context.js'
import { conflict, notFound } from './errors.js'
import type { BlacklistEntryJson } from './schemas.js'
import { blacklistEntryJson } from './views.js'

export class BlacklistService {
  constructor (private readonly ctx: AdminContext) {}

  async list (appId: number): Promise<BlacklistEntryJson[]> {
    await requireApp(this.ctx.repos, appId)
    return (await this.ctx.repos.blacklist.list(appId)).map(blacklistEntryJson)
  }

  /** Live sessions of that client are closed 4204 by whichever instance holds them. */
  async add (appId: number, clientId: string, comment: string | null): Promise<BlacklistEntryJson> {
    await requireApp(this.ctx.repos, appId)
    const row = await this.ctx.repos.blacklist.add(appId, clientId, comment)
    if (row === undefined) throw conflict('body/client_id is blacklisted already')
    await this.ctx.publish({ type: 'client_blacklisted', appId, clientId })
    return blacklistEntryJson(row)
  }

  async remove (appId: number, clientId: string): Promise<void> {
    if (await this.ctx.repos.blacklist.remove(appId, clientId)) return
    await requireApp(this.ctx.repos, appId)
    throw notFound('client id is not blacklisted')
  }
}
