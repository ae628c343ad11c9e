import { newApiKey } from '../keys.js'
import { appNotFound, type AdminContext } from './context.js'
import type { AppDetailJson, AppJson, CreateAppBody, PatchAppBody } from './schemas.js'
import { appDetailJson, appJson } from './views.js'

export class AppsService {
  constructor (private readonly ctx: AdminContext) {}

  async create (body: CreateAppBody): Promise<AppJson> {
    const row = await this.ctx.repos.apps.create(body, newApiKey())
    return appJson(row)
  }

  async list (): Promise<AppJson[]> {
    return (await this.ctx.repos.apps.list()).map(appJson)
  }

  async get (appId: number): Promise<AppDetailJson> {
    const row = await this.ctx.repos.apps.get(appId)
    if (row === undefined) throw appNotFound(appId)
    return appDetailJson(row)
  }

  /**
   * Pausing closes the app's live sessions (4101); a new version is pushed as event
   * 102; signed leases turned on or off apply to the live sessions' next answers.
   */
  async update (appId: number, body: PatchAppBody): Promise<AppJson> {
    const result = await this.ctx.repos.apps.update(appId, body)
    if (result === undefined) throw appNotFound(appId)
    const { app, wasPaused, oldVersion, wasSignedLeases } = result
    if (app.paused && !wasPaused) await this.ctx.publish({ type: 'app_paused', appId })
    if (app.version !== oldVersion) await this.ctx.publish({ type: 'app_version_changed', appId, version: app.version })
    if (app.signed_leases !== wasSignedLeases) await this.ctx.publish({ type: 'app_signed_leases_changed', appId, signedLeases: app.signed_leases })
    return appJson(app)
  }

  async delete (appId: number): Promise<void> {
    if (!await this.ctx.repos.apps.delete(appId)) throw appNotFound(appId)
    await this.ctx.publish({ type: 'app_deleted', appId })
  }

  /** Live sessions keep running; only new Initialize calls need the new key. */
  async rotateKey (appId: number): Promise<AppJson> {
    const row = await this.ctx.repos.apps.rotateKey(appId, newApiKey())
    if (row === undefined) throw appNotFound(appId)
    return appJson(row)
  }
}
