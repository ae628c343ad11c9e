import { describe, test } from 'node:test'
import assert from 'node:assert/strict'
import { LicenseCache } from '../src/session/license-cache.js'
import type { LicenseState } from '../src/repositories/licenses.js'

const state = (comment: string): LicenseState => ({
  levels: {}, comment, ip_address: null, expires_at: 2e9, paused_at: null, now: 1e9, blacklisted: false, activated: true
})

describe('license cache', () => {
  test('keeps nothing until the bus is heard, then keeps loads', async () => {
    let loads = 0
    const cache = new LicenseCache(async () => { loads++; return state('a') })
    await cache.fetch(1)
    assert.equal(cache.peek(1), undefined)
    cache.up()
    await cache.fetch(1)
    assert.equal(cache.peek(1)?.comment, 'a')
    assert.equal(loads, 2)
  })

  test('a change evicts; a gap in hearing empties and stops caching', async () => {
    const cache = new LicenseCache(async () => state('a'))
    cache.up()
    await cache.fetch(1)
    await cache.fetch(2)
    cache.changed(1)
    assert.equal(cache.peek(1), undefined)
    assert.equal(cache.peek(2)?.comment, 'a')
    cache.down()
    assert.equal(cache.peek(2), undefined)
    await cache.fetch(2)
    assert.equal(cache.peek(2), undefined)
  })

  test('a load that overlapped a change is answered but not kept', async () => {
    let release: (s: LicenseState) => void = () => {}
    const cache = new LicenseCache(() => new Promise(resolve => { release = resolve }))
    cache.up()
    const pending = cache.fetch(1)
    cache.changed(1) // the row changed while the old version was on its way
    release(state('old'))
    assert.equal((await pending)?.comment, 'old')
    assert.equal(cache.peek(1), undefined)
  })

  test('forget drops one entry', async () => {
    const cache = new LicenseCache(async () => state('a'))
    cache.up()
    await cache.fetch(7)
    cache.forget(7)
    assert.equal(cache.peek(7), undefined)
  })
})
