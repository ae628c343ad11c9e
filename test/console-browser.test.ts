import { before, test } from 'node:test'
import assert from 'node:assert/strict'
import { createHash, randomUUID } from 'node:crypto'
import { existsSync, mkdirSync } from 'node:fs'
import { join } from 'node:path'
import { chromium, type Browser, type Page } from 'playwright-core'
import { testDatabase, type TestDatabase } from './helpers/database.js'
import { startServer, type TestServer } from './helpers/server.js'
import { onEnd } from './helpers/cleanup.js'
import { TestClient } from './helpers/client.js'
import { createApp, createLicense, createLicenses, licenseRow } from './helpers/fixtures.js'
import { TOKEN, call } from './helpers/admin.js'

// The console in a real headless Chromium: Debian's `chromium` package (.ci/run
// installs it), driven by playwright-core. No browser is downloaded; a missing one
// fails this file rather than skipping it.
// Functions given to page.evaluate and page.waitForFunction run in the page, with its
// globals; the project compiles without the DOM library.
// eslint-disable-next-line @typescript-eslint/no-explicit-any
declare const document: any, window: any, sessionStorage: any, navigator: any

const CHROMIUM = process.env.CHROMIUM_PATH ?? '/usr/bin/chromium'
// CONSOLE_SCREENSHOTS=docs refreshes the README's screenshots; otherwise they go to .scratch/.
const SHOTS = process.env.CONSOLE_SCREENSHOTS === 'docs' ? 'docs' : '.scratch'

let db: TestDatabase
let server: TestServer
let browser: Browser

before(async t => {
  assert.ok(existsSync(CHROMIUM), `no Chromium at ${CHROMIUM}: apt-get install -y chromium (or set CHROMIUM_PATH)`)
  db = await testDatabase(t)
  // Under a prefix, as in a host app: the console must only use relative URLs.
  server = await startServer(t, db, { adminTokens: [TOKEN], prefix: '/license' })
  // Root has no sandbox; a container's small /dev/shm must not crash the renderer.
  const args = ['--disable-dev-shm-usage', ...(typeof process.getuid === 'function' && process.getuid() === 0 ? ['--no-sandbox'] : [])]
  browser = await chromium.launch({ executablePath: CHROMIUM, headless: true, args })
  onEnd(t, () => browser.close())
  mkdirSync(SHOTS, { recursive: true })
})

/** An hour of samples, as the instances would have written them. */
async function seedSeries (appId: number, level: number): Promise<void> {
  await db.pool.query(
    `INSERT INTO console_samples (app_id, at, authorized)
     SELECT $1, to_timestamp(floor(extract(epoch FROM now()) / 30) * 30) - make_interval(secs => i * 30),
            greatest(0, $2::float8 + $2::float8 * 0.6 * sin(i / 12.0) + $2::float8 * 0.2 * cos(i / 5.0))::integer
       FROM generate_series(1, 100) AS i
     ON CONFLICT DO NOTHING`, [appId, level])
}

interface Watched {
  page: Page
  errors: string[]
  /** The answer the next prompt() gets. */
  promptAnswer: { value: string }
  /** Whether confirm() is accepted (it is unless a test says otherwise). */
  confirmAnswer: { value: boolean }
}

async function openConsole (t: Parameters<typeof onEnd>[0], viewport = { width: 1280, height: 800 }): Promise<Watched> {
  const context = await browser.newContext({ viewport })
  onEnd(t, () => context.close())
  const page = await context.newPage()
  const errors: string[] = []
  page.on('console', message => { if (message.type() === 'error') errors.push(message.text()) })
  page.on('pageerror', err => errors.push(`pageerror: ${err.message}`))
  const promptAnswer = { value: '' }
  const confirmAnswer = { value: true }
  page.on('dialog', dialog => {
    if (dialog.type() === 'confirm' && !confirmAnswer.value) void dialog.dismiss()
    else void dialog.accept(dialog.type() === 'prompt' ? promptAnswer.value : undefined)
  })
  await page.goto(`${server.url}/console/`)
  return { page, errors, promptAnswer, confirmAnswer }
}

async function signIn (page: Page, token: string): Promise<void> {
  // By keyboard: the field, the token, Enter.
  await page.locator('input[name="token"]').focus()
  await page.keyboard.type(token)
  await page.keyboard.press('Enter')
}

const stateOf = (page: Page, key: string): Promise<string | null> =>
  page.locator(`#licenses-table tr[data-key="${key}"] .badge`).textContent()

async function waitForState (page: Page, key: string, state: string): Promise<void> {
  await page.waitForFunction(([k, s]) => document.querySelector(`#licenses-table tr[data-key="${k}"] .badge`)?.textContent === s, [key, state])
}

async function act (w: Watched, key: string, action: string, prompt = ''): Promise<void> {
  w.promptAnswer.value = prompt
  const row = w.page.locator(`#licenses-table tr[data-key="${key}"]`)
  await row.locator('select').selectOption(action)
  await row.getByRole('button', { name: 'Apply' }).click()
}

test('sign-in: a wrong token shows a clear message and nothing else; the right one shows the apps', async t => {
  const w = await openConsole(t)
  const { page } = w
  assert.equal(await page.locator('#signin-view').isVisible(), true)
  assert.equal(await page.locator('#apps-view').isVisible(), false)

  await signIn(page, 'this-is-not-the-admin-token')
  await page.locator('#signin-error').waitFor()
  assert.match(await page.locator('#signin-error').textContent() ?? '', /not accepted/)
  assert.equal(await page.locator('#apps-view').isVisible(), false)
  assert.equal(await page.evaluate(() => sessionStorage.getItem('licensewire.token')), null)
  // The browser reports the refused request itself; nothing else may be an error.
  assert.ok(w.errors.every(e => /status of 401/.test(e)), w.errors.join('\n'))
  w.errors.length = 0

  await page.locator('input[name="token"]').fill('')
  await signIn(page, TOKEN)
  await page.locator('#apps-view').waitFor()
  assert.equal(await page.locator('#signin-view').isVisible(), false)
  assert.equal(await page.evaluate(() => sessionStorage.getItem('licensewire.token')), TOKEN)
  // Never in a URL.
  assert.ok(!page.url().includes(TOKEN))

  // A reload keeps the tab signed in; signing out forgets the token.
  await page.reload()
  await page.locator('#apps-view').waitFor()
  await page.getByRole('button', { name: 'Sign out' }).click()
  await page.locator('#signin-view').waitFor()
  assert.equal(await page.evaluate(() => sessionStorage.getItem('licensewire.token')), null)
  assert.deepEqual(w.errors, [])
})

test('apps: list, create, edit, pause, rotate key, delete with confirmation', async t => {
  const existing = await createApp(db.pool, { name: 'Existing app', sessionLimit: 7 })
  const w = await openConsole(t)
  const { page } = w
  await signIn(page, TOKEN)
  const existingRow = page.locator(`#apps-table tr[data-app-id="${existing.id}"]`)
  await existingRow.waitFor()
  assert.equal(await existingRow.locator('.app-name').textContent(), 'Existing app')
  assert.equal(await existingRow.locator('code.key').textContent(), existing.key)
  assert.equal(await existingRow.locator('td.num').textContent(), '0 / 7')
  assert.equal(await existingRow.locator('.badge').textContent(), 'running')

  const form = page.locator('#app-form')
  // Unique: a reused test database may hold an app of a failed earlier run.
  const name = `Console app ${randomUUID().slice(0, 8)}`
  await form.getByLabel('Name').fill(name)
  await form.getByLabel('Session limit').fill('3')
  await page.getByRole('button', { name: 'Create app' }).click()
  const created = page.locator('#apps-table tr', { hasText: name })
  await created.waitFor()
  const id = Number(await created.getAttribute('data-app-id'))
  const row = () => page.locator(`#apps-table tr[data-app-id="${id}"]`)
  assert.equal(await row().locator('td.num').textContent(), '0 / 3')

  await row().getByRole('button', { name: 'Edit' }).click()
  await form.getByLabel('Name').fill(`${name} renamed`)
  await form.getByLabel('Session limit').fill('9')
  await page.getByRole('button', { name: 'Save' }).click()
  await page.locator('#apps-table .app-name', { hasText: `${name} renamed` }).waitFor()
  assert.equal(await row().locator('td.num').textContent(), '0 / 9')

  await row().getByRole('button', { name: 'Pause' }).click()
  await row().locator('.badge', { hasText: 'paused' }).waitFor()
  assert.equal((await call(server, 'GET', `/apps/${id}`)).body.paused, true)
  await row().getByRole('button', { name: 'Unpause' }).click()
  await row().locator('.badge', { hasText: 'running' }).waitFor()

  const oldKey = await row().locator('code.key').textContent()
  await row().getByRole('button', { name: 'Rotate key' }).click()
  await page.waitForFunction(([sel, old]) => document.querySelector(sel)?.textContent !== old,
    [`#apps-table tr[data-app-id="${id}"] code.key`, oldKey] as const)
  assert.equal((await call(server, 'GET', `/apps/${id}`)).body.websocket_api_key, await row().locator('code.key').textContent())

  // Delete asks first: dismissed, nothing happens.
  w.confirmAnswer.value = false
  await row().getByRole('button', { name: 'Delete' }).click()
  await page.waitForTimeout(300)
  assert.equal((await call(server, 'GET', `/apps/${id}`)).status, 200)
  assert.equal(await row().count(), 1)
  w.confirmAnswer.value = true
  await row().getByRole('button', { name: 'Delete' }).click()
  await row().waitFor({ state: 'detached' })
  assert.equal((await call(server, 'GET', `/apps/${id}`)).status, 404)
  await existingRow.waitFor()
  assert.deepEqual(w.errors, [])
})

test('one app: licenses (create, copy, search, every action), blacklist, live sessions without reload; screenshots', async t => {
  const app = await createApp(db.pool, { name: 'Acme Editor', sessionLimit: 10 })
  const held = await createLicense(db.pool, app.id, { key: 'HELD-00000001', levels: { tier: 'pro' } })
  const bound = await createLicense(db.pool, app.id, { key: 'BOUND-0000001', activatedAgo: 3600, expiresIn: 86400, clientId: 'old-laptop' })
  await seedSeries(app.id, 4)
  const w = await openConsole(t)
  const { page } = w
  await signIn(page, TOKEN)
  await page.locator(`#apps-table tr[data-app-id="${app.id}"] .app-name`).click()
  await page.locator('#app-view').waitFor()
  assert.equal(await page.locator('#app-title').textContent(), 'Acme Editor')
  assert.match(page.url(), new RegExp(`#/apps/${app.id}$`))
  await page.locator('#live-state', { hasText: 'live' }).waitFor()
  assert.equal(await stateOf(page, held), 'available')
  assert.equal(await stateOf(page, bound), 'active')

  // A live session appears, authorized, and leaves, without a reload.
  const client = await TestClient.connect(server.wsUrl)
  onEnd(t, async () => { client.close() })
  assert.equal((await client.initialize(app.key, 'browser-device-1')).status, 1)
  assert.equal((await client.authorize(held)).status, 1)
  let started = Date.now()
  const sessionRow = page.locator('#sessions-table tr', { hasText: 'browser-device-1' })
  await page.locator('#sessions-table tr', { hasText: held }).waitFor({ timeout: 3000 })
  assert.ok(Date.now() - started < 3000)
  assert.equal(await page.locator('#stat-authorized').textContent(), '1 / 10')
  assert.equal(await stateOf(page, held), 'available', 'no reload happened: the license row is as it was loaded')

  // Create licenses, see and copy their keys.
  await page.getByLabel('How many').fill('3')
  await page.getByLabel('Duration').fill('7d')
  await page.getByLabel('Levels (JSON)').fill('{"tier":"basic"}')
  await page.locator('#license-create').getByRole('button', { name: 'Create' }).click()
  await page.locator('#created-keys').waitFor()
  const keys = (await page.locator('#created-keys-text').inputValue()).split('\n')
  assert.equal(keys.length, 3)
  for (const key of keys) {
    assert.match(key, /^[A-Z0-9]{5}(-[A-Z0-9]{5}){3}$/)
    await page.locator(`#licenses-table tr[data-key="${key}"]`).waitFor()
    assert.deepEqual((await call(server, 'GET', `/apps/${app.id}/licenses/${key}`)).body.levels, { tier: 'basic' })
  }
  await page.evaluate(() => { const toast = document.querySelector('#toast')!; toast.className = ''; toast.textContent = '' })
  await page.screenshot({ path: join(SHOTS, 'console-app.png'), fullPage: true })
  await page.context().grantPermissions(['clipboard-read', 'clipboard-write'])
  await page.getByRole('button', { name: 'Copy keys' }).click()
  assert.equal(await page.evaluate(() => navigator.clipboard.readText()), keys.join('\n'))

  // Search by key prefix, then by state.
  const search = async (q: string, state: string, expected: string[]): Promise<void> => {
    await page.getByLabel('Key starts with').fill(q)
    await page.getByLabel('State').selectOption(state)
    await page.locator('#license-filter').getByRole('button', { name: 'Search' }).click()
    await page.waitForFunction(want => JSON.stringify([...document.querySelectorAll('#licenses-table tbody tr')]
      .map(tr => tr.getAttribute('data-key'))) === want, JSON.stringify(expected))
  }
  await search('BOUND-', '', [bound])
  await search('', 'active', [held, bound])
  await search('', 'available', keys)
  await search('', '', [held, bound, ...keys])

  // Every action, as the table shows it afterwards and as the API has it.
  const key = keys[0]!
  await act(w, key, 'pause')
  await waitForState(page, key, 'paused')
  await act(w, key, 'unpause')
  await waitForState(page, key, 'available')
  await act(w, key, 'blacklist', 'chargeback')
  await waitForState(page, key, 'blacklisted')
  assert.equal((await call(server, 'GET', `/apps/${app.id}/licenses/${key}`)).body.blacklist_comment, 'chargeback')
  await act(w, key, 'unblacklist')
  await waitForState(page, key, 'available')
  await act(w, key, 'extend', '1d')
  await page.locator(`#licenses-table tr[data-key="${key}"]`, { hasText: '8 d once activated' }).waitFor()
  assert.equal((await call(server, 'GET', `/apps/${app.id}/licenses/${key}`)).body.duration_seconds, 8 * 86400)

  await act(w, bound, 'reset-client')
  await page.locator(`#licenses-table tr[data-key="${bound}"]`).filter({ hasNotText: 'old-laptop' }).waitFor()
  assert.equal((await licenseRow(db.pool, app.id, bound))!.client_id, null)
  await act(w, bound, 'reinitialize')
  await waitForState(page, bound, 'available')

  // The held license: deleting it takes the live session's authorization.
  await act(w, held, 'delete')
  await page.locator(`#licenses-table tr[data-key="${held}"]`).waitFor({ state: 'detached' })
  assert.equal((await call(server, 'GET', `/apps/${app.id}/licenses/${held}`)).status, 404)
  await page.locator('#sessions-table tr', { hasText: 'not authorized' }).waitFor({ timeout: 3000 })
  assert.equal(await page.locator('#stat-authorized').textContent(), '0 / 10')

  // Client-id blacklist: add and lift.
  await page.locator('#blacklist-form').getByLabel('Client id').fill('stolen-device-7')
  await page.locator('#blacklist-form').getByLabel('Comment').fill('abuse')
  await page.locator('#blacklist-form').getByRole('button', { name: 'Blacklist' }).click()
  const entry = page.locator('#blacklist-table tr[data-client-id="stolen-device-7"]')
  await entry.waitFor()
  assert.match(await entry.textContent() ?? '', /abuse.*admin/)
  await entry.getByRole('button', { name: 'Remove' }).click()
  await entry.waitFor({ state: 'detached' })

  // The session leaves when the client goes, without a reload.
  client.close()
  await client.closed
  started = Date.now()
  await sessionRow.waitFor({ state: 'detached', timeout: 3000 })
  assert.ok(Date.now() - started < 3000)
  assert.equal(await page.locator('#sessions-empty').isVisible(), true)

  // Disconnect from the console: the instance closes the socket with 4100.
  const other = await TestClient.connect(server.wsUrl)
  onEnd(t, async () => { other.close() })
  assert.equal((await other.initialize(app.key, 'browser-device-2')).status, 1)
  const otherRow = page.locator('#sessions-table tr', { hasText: 'browser-device-2' })
  await otherRow.waitFor({ timeout: 3000 })
  await otherRow.getByRole('button', { name: 'Disconnect' }).click()
  assert.equal((await other.closed).code, 4100)
  await otherRow.waitFor({ state: 'detached', timeout: 3000 })

  assert.deepEqual(w.errors, [])
})

test('one app: variables, accounts, files (upload with progress)', async t => {
  const app = await createApp(db.pool, { name: 'Extras app' })
  const key = await createLicense(db.pool, app.id, { key: 'LINK-00000001' })
  const w = await openConsole(t)
  const { page } = w
  await signIn(page, TOKEN)
  await page.locator(`#apps-table tr[data-app-id="${app.id}"] .app-name`).click()
  await page.locator('#app-view').waitFor()

  // Variables: add, edit, protect, delete.
  const vf = page.locator('#variable-form')
  await vf.getByLabel('Name').fill('motd')
  await vf.getByLabel('Content').fill('{"beta":true}')
  await vf.getByRole('button', { name: 'Add variable' }).click()
  const variable = page.locator('#variables-table tr[data-variable="motd"]')
  await variable.waitFor()
  assert.match(await variable.textContent() ?? '', /\{"beta":true\}.*no/)
  w.promptAnswer.value = 'hello'
  await variable.getByRole('button', { name: 'Edit' }).click()
  await page.locator('#variables-table tr[data-variable="motd"]', { hasText: 'hello' }).waitFor()
  await variable.getByRole('button', { name: 'Protect' }).click()
  await variable.getByRole('button', { name: 'Unprotect' }).waitFor()
  assert.deepEqual(
    (({ content, protected: p }) => ({ content, protected: p }))((await call(server, 'GET', `/apps/${app.id}/variables/motd`)).body),
    { content: 'hello', protected: true })
  await variable.getByRole('button', { name: 'Delete' }).click()
  await variable.waitFor({ state: 'detached' })

  // Accounts: create with a linked license, search, blacklist, unblacklist, delete.
  const af = page.locator('#account-form')
  await af.getByLabel('Login').fill('alice@example.com')
  await af.getByLabel('Password').fill('correct horse battery')
  await af.getByLabel('License to link').fill(key)
  await af.getByRole('button', { name: 'Create account' }).click()
  await page.locator('#accounts-table tr', { hasText: 'alice@example.com' }).waitFor({ timeout: 15_000 })
  await waitForState(page, key, 'active')
  await af.getByLabel('Login').fill('bob-the-user')
  await af.getByLabel('Password').fill('another long one')
  await af.getByLabel('License to link').fill('')
  await af.getByRole('button', { name: 'Create account' }).click()
  await page.locator('#accounts-table tr', { hasText: 'bob-the-user' }).waitFor({ timeout: 15_000 })
  await page.getByLabel('Login starts with').fill('ALI')
  await page.locator('#account-filter').getByRole('button', { name: 'Search' }).click()
  await page.waitForFunction(() => document.querySelectorAll('#accounts-table tbody tr').length === 1)
  const alice = page.locator('#accounts-table tr', { hasText: 'alice@example.com' })
  assert.match(await alice.textContent() ?? '', new RegExp(key))
  // Unlink the license, link another.
  await alice.getByRole('button', { name: `Unlink ${key} from alice@example.com` }).click()
  await page.locator('#accounts-table tr', { hasText: 'alice@example.com' }).filter({ hasNotText: key }).waitFor()
  const second = await createLicense(db.pool, app.id, { key: 'LINK-00000002' })
  w.promptAnswer.value = second
  await alice.getByRole('button', { name: 'Link license' }).click()
  await alice.locator('code', { hasText: second }).waitFor()
  assert.deepEqual((await call(server, 'GET', `/apps/${app.id}/accounts`)).body.items
    .find((a: { login: string }) => a.login === 'alice@example.com').licenses, [second])
  w.promptAnswer.value = 'fraud'
  await alice.getByRole('button', { name: 'Blacklist' }).click()
  await alice.locator('.badge', { hasText: 'blacklisted' }).waitFor()
  await alice.getByRole('button', { name: 'Unblacklist' }).click()
  await alice.locator('.badge', { hasText: 'ok' }).waitFor()
  await alice.getByRole('button', { name: 'Delete' }).click()
  await alice.waitFor({ state: 'detached' })
  const accounts = (await call(server, 'GET', `/apps/${app.id}/accounts`)).body.items.map((a: { login: string }) => a.login)
  assert.deepEqual(accounts, ['bob-the-user'])

  // Files: upload (a few MiB, so the progress bar has something to show), list, delete.
  const bytes = Buffer.alloc(3 * 1024 * 1024, 7)
  const ff = page.locator('#file-form')
  await ff.getByLabel('Name').fill('Setup 2')
  await ff.getByLabel('File').setInputFiles({ name: 'setup.bin', mimeType: 'application/octet-stream', buffer: bytes })
  await ff.getByRole('button', { name: 'Upload' }).click()
  const file = page.locator('#files-table tr[data-file="Setup 2"]')
  await file.waitFor({ timeout: 15_000 })
  assert.match(await file.textContent() ?? '', /3\.0 MiB/)
  const stored = (await call(server, 'GET', `/apps/${app.id}/files/Setup%202`)).body
  assert.equal(stored.size, bytes.length)
  assert.equal(stored.checksum, createHash('sha256').update(bytes).digest('hex'))
  assert.equal(await page.locator('#upload-progress-label').isVisible(), false)
  await file.getByRole('button', { name: 'Delete' }).click()
  await file.waitFor({ state: 'detached' })
  assert.equal((await call(server, 'GET', `/apps/${app.id}/files/Setup%202`)).status, 404)
  assert.deepEqual(w.errors, [])
})

test('licenses page by page (keyset cursor)', async t => {
  const app = await createApp(db.pool, { name: 'Many licenses' })
  const keys = await createLicenses(db.pool, app.id, 55)
  const w = await openConsole(t)
  const { page } = w
  await signIn(page, TOKEN)
  await page.locator(`#apps-table tr[data-app-id="${app.id}"] .app-name`).click()
  await page.waitForFunction(() => document.querySelectorAll('#licenses-table tbody tr').length === 50)
  const more = page.getByRole('button', { name: 'Next page' })
  assert.equal(await more.isVisible(), true)
  await more.click()
  await page.waitForFunction(() => document.querySelectorAll('#licenses-table tbody tr').length === 55)
  assert.equal(await more.isVisible(), false)
  const shown = await page.locator('#licenses-table tbody tr').evaluateAll(rows => rows.map(r => r.getAttribute('data-key')))
  assert.deepEqual(shown, keys)
  assert.deepEqual(w.errors, [])
})

test('the chart draws the sampled series; the apps list screenshot; usable on a phone', async t => {
  const app = await createApp(db.pool, { name: 'Charted app', sessionLimit: 50 })
  await seedSeries(app.id, 20)
  const w = await openConsole(t)
  const { page } = w
  await signIn(page, TOKEN)
  await page.locator(`#apps-table tr[data-app-id="${app.id}"]`).waitFor()
  await page.screenshot({ path: join(SHOTS, 'console-apps.png') })

  // By keyboard: the app's name takes focus (by Tab from the link before it, which a
  // shared test database with hundreds of apps keeps far from the top), Enter opens it.
  const target = `#/apps/${app.id}`
  const links = page.locator('#apps-table a[href^="#/apps/"]')
  const hrefs = await links.evaluateAll(as => as.map(a => a.getAttribute('href')))
  const index = hrefs.indexOf(target)
  assert.ok(index >= 0, 'the app is listed')
  if (index > 0) {
    await links.nth(index - 1).focus()
    for (let i = 0; i < 20 && await page.evaluate(() => document.activeElement?.getAttribute('href') ?? '') !== target; i++) {
      await page.keyboard.press('Tab')
    }
  } else {
    await links.nth(0).focus()
  }
  assert.equal(await page.evaluate(() => document.activeElement?.getAttribute('href') ?? ''), target)
  await page.keyboard.press('Enter')
  await page.locator('#chart svg polyline').waitFor()
  // 100 seeded samples, the oldest 50 minutes back: all inside the hour however slow the test.
  assert.ok(await page.locator('#chart svg circle').count() >= 100)
  assert.match(await page.locator('#chart').getAttribute('aria-label') ?? '', /now \d+, peak \d+/)

  // A phone: nothing wider than the screen but the tables' own scrolling, on the
  // app's page and on the apps list.
  await page.setViewportSize({ width: 390, height: 844 })
  for (const view of ['#app-view', '#apps-view']) {
    if (view === '#apps-view') await page.getByRole('link', { name: '← All apps' }).click()
    await page.locator(view).waitFor()
    const overflow = await page.evaluate(() => document.documentElement.scrollWidth - window.innerWidth)
    assert.ok(overflow <= 0, `${view}: the page is ${overflow}px wider than a phone screen`)
  }
  assert.deepEqual(w.errors, [])
})
