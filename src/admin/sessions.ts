import { requireApp, type AdminContext } from './context.js'
import { notFound } from './errors.js'
import type { SessionItemJson } from './schemas.js'
import { sessionJson } from './views.js'

export class SessionsService {
  constructor (private readonly ctx: AdminContext) {}

  async list (appId: number): Promise<SessionItemJson[]> {
    await requireApp(this.ctx.repos, appId)
    return (await this.ctx.repos.adminSessions.list(appId)).map(sessionJson)
  }

  /**
   * The instance holding the session closes it (event 1, close 4100) and removes its
   * row; the row stays until then, so the quota stays true meanwhile. A suspended
   * session has no instance: it ends here, and can no longer be resumed.
   */
  async disconnect (appId: number, sessionId: string): Promise<void> {
    if (!await this.ctx.repos.adminSessions.exists(appId, sessionId)) {
      await requireApp(this.ctx.repos, appId)
      throw notFound('session not found')
    }
    if (await this.ctx.repos.adminSessions.endSuspended(appId, sessionId)) return
    await this.ctx.publish({ type: 'session_disconnected', appId, sessionId })
  }
}
