import { after, test } from 'node:test'
import assert from 'node:assert/strict'
import { execFileSync, spawnSync } from 'node:child_process'
import { cpSync, mkdirSync, mkdtempSync, readdirSync, rmSync, symlinkSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join, resolve } from 'node:path'

// licensewire/client as a user gets it: built, packed with npm (package.json `files` and
// `exports`), unpacked into a project whose node_modules holds only the client's own
// dependencies (jose, ws and their types). A consumer is type-checked against the
// packed .d.ts, and the packed module is imported: it must load without fastify or pg,
// which that project cannot resolve.
const repo = resolve(import.meta.dirname, '..')
const work = mkdtempSync(join(tmpdir(), 'licensewire-client-types-'))
after(() => rmSync(work, { recursive: true, force: true }))

const CONSUMER = `
import {
  LicenseClient, StatusError, ClosedError, Status, verifyLease, statusName,
  type LicenseInfo, type AccountInfo, type PanelEvent, type LeaseClaims
} from 'licensewire/client'

const client = new LicenseClient({ url: 'ws://127.0.0.1:1/ws', apiKey: 'A'.repeat(21), clientId: 'device-1', resume: true, reconnect: { maxDelayMs: 5000 } })
client.on('panelEvent', (e: PanelEvent) => { const n: number = e.event_type; void n })
client.on('close', e => { const c: number = e.code; void c })
client.on('reconnecting', e => { const a: number = e.attempt; void a })
client.on('resumed', e => { void e.attempt })
client.on('restarted', e => { const name: string = e.app.app_name; void name })

export async function use (): Promise<void> {
  const app = await client.connect()
  const version: string = app.app_version
  const license: LicenseInfo = await client.authorizeByLicense('ABCDEF-123456', { nonce: 'n' })
  const levels: Record<string, unknown> = license.levels
  const account: AccountInfo = await client.authorizeByCredentials('ann', 'password', { credentialsType: 1 })
  const required: boolean = account.license_required
  const count: number = await client.onlineUsersCount()
  const content: string = await client.getVariable('config')
  const value: string = await client.getValue('k')
  await client.setValue('k', 'v', 60)
  await client.deleteValue('k')
  await client.createAccount('ann', 'password', { license: 'ABCDEF-123456' })
  await client.linkLicense('ABCDEF-123456')
  await client.logout()
  await client.blacklist('tampered')
  const url: string = (await client.fileDownloadUrl('Setup', { resumeAt: 0 })).presigned_url
  const size: number = (await client.fileMetadata('Setup')).size
  const file = await client.downloadFile('Setup', { held: new Uint8Array(0) })
  const checksum: string = file.checksum
  await client.subscribePanelEvents(true)
  const current: LicenseInfo = await client.getCurrentLicense()
  const me: AccountInfo = await client.getCurrentAccount({ nonce: 'x' })
  const claims: LeaseClaims = await verifyLease(current.lease!, { jwks: { keys: [] }, clientId: 'device-1', nonce: 'n' })
  const exp: number = claims.exp
  await client.close()
  try { await client.logout() } catch (err) {
    if (err instanceof StatusError) { const s: number = err.status; const name: string = err.statusName; void s; void name; void err.response }
    if (err instanceof ClosedError) { const code: number = err.code; const reason: string = err.reason; void code; void reason }
  }
  const ok: 1 = Status.Ok
  const already: string = statusName(Status.AlreadyAuthorized)
  void [version, levels, required, count, content, value, url, size, checksum, me, exp, ok, already]
  // @ts-expect-error there is no such status
  void Status.NoSuchStatus
  // @ts-expect-error getValue takes a string key
  await client.getValue(5)
  // @ts-expect-error no such event
  client.on('opened', () => {})
}
`

test('the packed licensewire/client type-checks for a consumer and loads without the server', () => {
  const pkg = join(work, 'pkg')
  mkdirSync(pkg)
  execFileSync(process.execPath, [join(repo, 'node_modules/typescript/bin/tsc'), '-p', join(repo, 'tsconfig.build.json'), '--outDir', join(pkg, 'dist')], { stdio: 'pipe' })
  for (const f of ['package.json', 'README.md', 'LICENSE']) cpSync(join(repo, f), join(pkg, f))
  const packed = execFileSync('npm', ['pack', '--ignore-scripts', '--silent', '--pack-destination', work], { cwd: pkg, encoding: 'utf8' }).trim().split('\n').at(-1)!
  const project = join(work, 'project')
  const modules = join(project, 'node_modules')
  mkdirSync(join(modules, 'licensewire'), { recursive: true })
  execFileSync('tar', ['-xzf', join(work, packed), '-C', join(modules, 'licensewire'), '--strip-components=1'])
  assert.ok(readdirSync(join(modules, 'licensewire/dist/src/client')).includes('index.d.ts'))
  mkdirSync(join(modules, '@types'))
  for (const dep of ['jose', 'ws', '@types/ws', '@types/node', 'undici-types']) {
    symlinkSync(join(repo, 'node_modules', dep), join(modules, dep))
  }
  writeFileSync(join(project, 'package.json'), JSON.stringify({ name: 'consumer', private: true, type: 'module' }))
  writeFileSync(join(project, 'consumer.ts'), CONSUMER)
  const tsc = spawnSync(process.execPath, [
    join(repo, 'node_modules/typescript/bin/tsc'), '--noEmit', '--strict', '--target', 'ES2022', '--module', 'NodeNext',
    '--moduleResolution', 'NodeNext', '--types', 'node', 'consumer.ts'
  ], { cwd: project, encoding: 'utf8' })
  assert.equal(tsc.status, 0, tsc.stdout + tsc.stderr)

  // The server's dependencies are not resolvable here: importing the client must not need them.
  const run = spawnSync(process.execPath, ['--input-type=module', '-e', `
    const m = await import('licensewire/client')
    console.log(JSON.stringify([typeof m.LicenseClient, m.Status.AlreadyAuthorized, typeof m.verifyLease]))
    await import('licensewire').then(() => console.log('server loaded'), () => console.log('no server'))
  `], { cwd: project, encoding: 'utf8' })
  assert.equal(run.status, 0, run.stderr)
  assert.deepEqual(run.stdout.trim().split('\n'), ['["function",7,"function"]', 'no server'])
})
