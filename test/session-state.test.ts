import { describe, test } from 'node:test'
import assert from 'node:assert/strict'
import { SessionState } from '../src/session/state.js'
import { meets } from '../src/protocol/packet.js'
import { encodeEvent, encodeReply, reply, replyFromText } from '../src/protocol/reply.js'

describe('session state', () => {
  test('round-trips through JSON text with everything it holds', () => {
    const state = new SessionState('5a1c9d7e-0000-4000-8000-000000000001', '203.0.113.10', 'https://lic.example.com')
    state.initializeFailed()
    state.initialize({ id: 7, name: 'App', version: '1.2.3' }, 'device-1')
    state.authorize({ kind: 'license', licenseId: 42, key: 'ABCDEF-123456', expiresAt: 1893456000 })
    state.subscribe(true)
    assert.equal(state.setValue('theme', 'dark ☾', 1893456000000, 1000), 'stored')
    assert.equal(state.setValue('gone', 'x', 2000, 1000), 'stored')
    const copy = SessionState.fromJSON(JSON.parse(JSON.stringify(state)))
    assert.deepEqual(copy.toJSON(), state.toJSON())
    assert.deepEqual(copy.toJSON(), {
      id: '5a1c9d7e-0000-4000-8000-000000000001',
      ip: '203.0.113.10',
      origin: 'https://lic.example.com',
      app: { id: 7, name: 'App', version: '1.2.3' },
      clientId: 'device-1',
      failedInitializes: 0,
      authorization: { kind: 'license', licenseId: 42, key: 'ABCDEF-123456', expiresAt: 1893456000 },
      subscribed: true,
      values: [['theme', 'dark ☾', 1893456000000], ['gone', 'x', 2000]]
    })
    assert.equal(copy.initialized, true)
    assert.equal(copy.value('theme', 3000), 'dark ☾')
    assert.equal(copy.value('gone', 3000), undefined, 'expiry times travel with the values')
    // The byte total travels too: 'theme' + 'dark ☾' hold 13 bytes, 'gone' + 'x' 5, key 'k' 1.
    const room = 16384 - 13 - 5 - 1
    assert.equal(copy.setValue('k', 'v'.repeat(room + 1), 1893456000000, 1500), 'too-many-bytes')
    assert.equal(copy.setValue('k', 'v'.repeat(room), 1893456000000, 1500), 'stored')
    assert.deepEqual(new SessionState('s', '127.0.0.1').toJSON().values, [], 'a fresh session has no values')
  })

  test('named changes: failed initializes count, version change, deauthorize returns what it held', () => {
    const state = new SessionState('s', '127.0.0.1')
    assert.equal(state.initializeFailed(), 1)
    assert.equal(state.initializeFailed(), 2)
    state.initialize({ id: 1, name: 'A', version: '1' }, 'device-1')
    assert.equal(state.failedInitializes, 0)
    state.appVersionChanged('2')
    assert.equal(state.app?.version, '2')
    state.authorize({ kind: 'account', accountId: 3, login: 'alice', expiresAt: null })
    state.authorizationExpires(100)
    assert.equal(state.authorization?.expiresAt, 100)
    assert.deepEqual(state.deauthorize(), { kind: 'account', accountId: 3, login: 'alice', expiresAt: 100 })
    assert.equal(state.authorization, null)
    assert.equal(state.deauthorize(), null)
  })

  test('packet requirements against the state', () => {
    const state = new SessionState('s', '127.0.0.1')
    assert.deepEqual(['nothing', 'initialized', 'license', 'account', 'authorized'].map(r => meets(state, r as never)),
      [true, false, false, false, false])
    state.initialize({ id: 1, name: 'A', version: '1' }, 'device-1')
    state.authorize({ kind: 'license', licenseId: 1, key: 'KEY-123', expiresAt: null })
    assert.deepEqual(['nothing', 'initialized', 'license', 'account', 'authorized'].map(r => meets(state, r as never)),
      [true, true, true, false, true])
    state.deauthorize()
    state.authorize({ kind: 'account', accountId: 1, login: 'alice', expiresAt: null })
    assert.deepEqual(['license', 'account', 'authorized'].map(r => meets(state, r as never)), [false, true, true])
  })
})

describe('reply encoder', () => {
  test('id first, fields in order, status last', () => {
    assert.equal(encodeReply(3, reply(1, { app_name: 'A "q"', app_version: 'é' })), '{"id":3,"app_name":"A \\"q\\"","app_version":"é","status":1}')
    assert.equal(encodeReply(0, reply(3)), '{"id":0,"status":3}')
    assert.equal(encodeReply(9, reply(1, {})), '{"id":9,"status":1}')
    assert.equal(encodeReply(5, replyFromText(1, '"a":1')), '{"id":5,"a":1,"status":1}')
    assert.deepEqual(JSON.parse(encodeReply(2 ** 53 - 1, reply(7, { license: 'x' }))), { id: 2 ** 53 - 1, license: 'x', status: 7 })
  })

  test('events carry the exact id literal', () => {
    assert.equal(encodeEvent(102, { version: '2.0' }), '{"id":18446744073709551615,"event_type":102,"content":{"version":"2.0"}}')
  })
})
