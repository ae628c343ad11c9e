import type { Pool } from 'pg'
import { AccountsRepository } from './accounts.js'
import { AdminSessionsRepository } from './admin-sessions.js'
import { AppsRepository } from './apps.js'
import { BlacklistRepository } from './blacklist.js'
import { CooldownsRepository } from './cooldowns.js'
import { FilesRepository } from './files.js'
import { InstancesRepository } from './instances.js'
import { LicensesRepository } from './licenses.js'
import { SessionsRepository } from './sessions.js'
import { VariablesRepository } from './variables.js'
import { SigningKeysRepository } from './signing-keys.js'

export interface Repositories {
  apps: AppsRepository
  licenses: LicensesRepository
  accounts: AccountsRepository
  sessions: SessionsRepository
  instances: InstancesRepository
  cooldowns: CooldownsRepository
  blacklist: BlacklistRepository
  adminSessions: AdminSessionsRepository
  variables: VariablesRepository
  files: FilesRepository
  signingKeys: SigningKeysRepository
}

export function createRepositories (pool: Pool): Repositories {
  return {
    apps: new AppsRepository(pool),
    licenses: new LicensesRepository(pool),
    accounts: new AccountsRepository(pool),
    sessions: new SessionsRepository(pool),
    instances: new InstancesRepository(pool),
    cooldowns: new CooldownsRepository(pool),
    blacklist: new BlacklistRepository(pool),
    adminSessions: new AdminSessionsRepository(pool),
    variables: new VariablesRepository(pool),
    files: new FilesRepository(pool),
    signingKeys: new SigningKeysRepository(pool)
  }
}
