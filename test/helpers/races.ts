import assert from 'node:assert/strict'
import type { TestDatabase } from './database.js'
import { initializedClients, tally, waitFor, type TestClient } from './client.js'
import {
  PASSWORD, authorizedSessions, createAccount, createApp, createLicense, createLicenses, licenseLink, licenseRow, sessionRows
} from './fixtures.js'

/**
 * 200 sockets spread over `urls` race for the 50 slots of one app: exactly 50 Oks.
 * Then 10 of the winners log out and the 150 losers try again: exactly 10 more.
 * Returns the first round's replies, in socket order (socket i is on urls[i % n]).
 */
export async function quotaRace (db: TestDatabase, urls: string[]): Promise<Record<string, unknown>[]> {
  const app = await createApp(db.pool, { sessionLimit: 50 })
  const keys = await createLicenses(db.pool, app.id, 200)
  const clients = await initializedClients(urls, app.key, 200)
  const replies = await Promise.all(clients.map((c, i) => c.authorize(keys[i]!)))
  assert.deepEqual(tally(replies), { 1: 50, 602: 150 })
  assert.equal(await authorizedSessions(db.pool, app.id), 50)
  const lost = (i: number): boolean => replies[i]!.status === 602
  // A rejected authorize changed nothing.
  assert.equal((await licenseRow(db.pool, app.id, keys[replies.findIndex((_, i) => lost(i))]!))?.activated_at, null)

  const winners = clients.filter((_, i) => !lost(i))
  assert.deepEqual(tally(await Promise.all(winners.slice(0, 10).map(c => c.request(5)))), { 1: 10 })
  const retries = await Promise.all(clients.map((c, i) => lost(i) ? c.authorize(keys[i]!) : undefined))
  assert.deepEqual(tally(retries.filter(r => r !== undefined)), { 1: 10, 602: 140 })
  assert.equal(await authorizedSessions(db.pool, app.id), 50)

  await Promise.all(clients.map(c => c.closeAndWait()))
  await waitFor(async () => await authorizedSessions(db.pool, app.id) === 0 && await sessionRows(db.pool, app.id) === 0)
  return replies
}

/** 20 client_ids spread over `urls` race for one unbound license: exactly one binds. */
export async function bindingRace (db: TestDatabase, urls: string[]): Promise<void> {
  const app = await createApp(db.pool)
  const key = await createLicense(db.pool, app.id)
  const clients = await initializedClients(urls, app.key, 20, 'racer')
  const replies = await Promise.all(clients.map(c => c.authorize(key)))
  assert.deepEqual(tally(replies), { 1: 1, 502: 19 })
  const winner = replies.findIndex(r => r.status === 1)
  assert.equal((await licenseRow(db.pool, app.id, key))?.client_id, `racer-${String(winner).padStart(4, '0')}`)
  assert.equal(await authorizedSessions(db.pool, app.id), 1)
  for (const c of clients) c.close()
}

/**
 * 10 sessions of 10 accounts, spread over `urls`, race to link one never-activated
 * license: 5 by type 4, 5 by type 3 with the license. Exactly one links it.
 */
export async function linkRace (db: TestDatabase, urls: string[]): Promise<void> {
  const app = await createApp(db.pool)
  const key = await createLicense(db.pool, app.id)
  const accounts = await Promise.all(Array.from({ length: 10 }, () => createAccount(db.pool, app.id)))
  const clients = await initializedClients(urls, app.key, 10, 'linker')
  const login = (c: TestClient, i: number, license?: string) =>
    c.request(3, { login: accounts[i]!.login, password: PASSWORD, credentials_type: 0, ...(license === undefined ? {} : { license }) }, 30_000)
  await Promise.all(clients.slice(0, 5).map(async (c, i) => assert.equal((await login(c, i)).status, 1)))
  const replies = await Promise.all(clients.map((c, i) => i < 5 ? c.request(4, { license: key }) : login(c, i, key)))
  assert.deepEqual(tally(replies), { 1: 1, 106: 9 })
  const winner = replies.findIndex(r => r.status === 1)
  assert.equal((await licenseLink(db.pool, app.id, key)).account_id, accounts[winner]!.id)
  for (const c of clients) c.close()
}

/**
 * 45 sockets spread over `urls`, each with its own account, log in at once for the
 * 15 slots of one app: exactly 15 Oks. Then 5 of the winners log out and the losers
 * try again: exactly 5 more. Returns the first round's replies, in socket order.
 * Every login costs a password check, so answers may take seconds on a busy machine.
 */
export async function accountQuotaRace (db: TestDatabase, urls: string[]): Promise<Record<string, unknown>[]> {
  const app = await createApp(db.pool, { sessionLimit: 15 })
  const accounts = await Promise.all(Array.from({ length: 45 }, () => createAccount(db.pool, app.id)))
  const clients = await initializedClients(urls, app.key, 45, 'quota')
  const login = (i: number) => clients[i]!.request(3, { login: accounts[i]!.login, password: PASSWORD, credentials_type: 0 }, 60_000)
  const replies = await Promise.all(clients.map((_, i) => login(i)))
  assert.deepEqual(tally(replies), { 1: 15, 602: 30 })
  assert.equal(await authorizedSessions(db.pool, app.id), 15)
  const won = clients.filter((_, i) => replies[i]!.status === 1)
  assert.deepEqual(tally(await Promise.all(won.slice(0, 5).map(c => c.request(5)))), { 1: 5 })
  const retries = await Promise.all(clients.map((_, i) => replies[i]!.status === 602 ? login(i) : undefined))
  assert.deepEqual(tally(retries.filter(r => r !== undefined)), { 1: 5, 602: 25 })
  await Promise.all(clients.map(c => c.closeAndWait()))
  await waitFor(async () => await authorizedSessions(db.pool, app.id) === 0 && await sessionRows(db.pool, app.id) === 0)
  return replies
}
