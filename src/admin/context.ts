import type { Passwords } from '../accounts/passwords.js'
import type { LiveEvent } from '../events.js'
import type { Repositories } from '../repositories/index.js'
import { notFound } from './errors.js'

/** What the admin services need: SQL through repositories, and the live event bus. */
export interface AdminContext {
  repos: Repositories
  publish: (event: LiveEvent) => Promise<void>
  /** The instance's bounded password hashing, shared with the packets. */
  passwords: Passwords
}

export async function requireApp (repos: Repositories, appId: number): Promise<void> {
  if (!await repos.apps.exists(appId)) throw appNotFound(appId)
}

export const appNotFound = (appId: number) => notFound(`app ${appId} not found`)
