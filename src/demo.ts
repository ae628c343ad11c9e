import { existsSync } from 'node:fs'
import { writeFile } from 'node:fs/promises'
import { join } from 'node:path'
import type { FastifyBaseLogger } from 'fastify'
import { newApiKey, newLicenseKey } from './keys.js'
import type { Repositories } from './repositories/index.js'

export const DEMO_KEYS_FILE = 'demo-keys.txt'

/**
 * The first start of an empty embedded database gets a demo app and license, logged
 * once. With a data directory they are also written next to the data, so a later
 * start (or a user who missed the first log) can point at them without logging the
 * keys again.
 */
export async function seedDemo (repos: Repositories, log: FastifyBaseLogger, dataDir: string): Promise<void> {
  const file = dataDir === 'memory' ? undefined : join(dataDir, DEMO_KEYS_FILE)
  if (await repos.apps.count() > 0) {
    if (file !== undefined && existsSync(file)) log.info(`demo app keys (from the first start): ${file}`)
    return
  }
  const app = await repos.apps.create({ name: 'Demo app' }, newApiKey())
  const key = newLicenseKey()
  await repos.licenses.insert(app.id, [{ key, durationSeconds: 30 * 86400, levels: { tier: 'pro' }, comment: 'demo license' }])
  log.info(`demo app created: websocket_api_key=${app.websocket_api_key} license=${key}`)
  if (file === undefined) return
  await writeFile(file, [
    '# The demo app and license licensewire created on the first start of this database.',
    `app_id=${app.id}`,
    `websocket_api_key=${app.websocket_api_key}`,
    `license=${key}`,
    ''
  ].join('\n'), { mode: 0o600 })
  log.info(`demo app keys saved to ${file}`)
}

/** With a real Postgres there is no demo: say how to get going instead. */
export async function hintFirstApp (repos: Repositories, log: FastifyBaseLogger, adminOn: boolean): Promise<void> {
  if (await repos.apps.count() > 0) return
  log.info(adminOn
    ? 'the database has no apps yet: create one with `npm run cli -- apps create --name "My app"` (LICENSEWIRE_TOKEN=<ADMIN_TOKEN>), then licenses with `npm run cli -- licenses create --app <its id> --duration 30d`'
    : 'the database has no apps yet: set ADMIN_TOKEN (16+ characters) to turn on the management API, then create one with `npm run cli -- apps create --name "My app"`')
}
