import assert from 'node:assert/strict'
import type { TestDatabase } from './database.js'
import { initializedClients, tally, waitFor } from './client.js'
import { authorizedSessions, createApp, createLicense, createLicenses, licenseRow, sessionRows } from './fixtures.js'

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
