import { test } from 'node:test'
import assert from 'node:assert/strict'
import { DurationError, MAX_DURATION_SECONDS, parseDuration } from '../src/admin/duration.js'
import { decodeCursor, encodeCursor } from '../src/admin/licenses.js'
import { bearerChecker } from '../src/admin/auth.js'
import { HttpError } from '../src/admin/errors.js'
import { record, table } from '../src/cli/main.js'

test('durations: units, combinations and plain seconds', () => {
  assert.equal(parseDuration('30d'), 30 * 86400)
  assert.equal(parseDuration('1h30m'), 5400)
  assert.equal(parseDuration('1y'), 365 * 86400)
  assert.equal(parseDuration('2w'), 14 * 86400)
  assert.equal(parseDuration('45s'), 45)
  assert.equal(parseDuration('1y2w3d4h5m6s'), 365 * 86400 + 14 * 86400 + 3 * 86400 + 4 * 3600 + 5 * 60 + 6)
  assert.equal(parseDuration('30m1h'), 5400, 'order is free')
  assert.equal(parseDuration(3600), 3600)
  assert.equal(parseDuration('3600'), 3600)
  assert.equal(parseDuration(' 7d '), 7 * 86400)
  assert.equal(parseDuration('100y'), MAX_DURATION_SECONDS)
})

test('durations: bad input is a DurationError that quotes it', () => {
  const bad: (string | number)[] = ['abc', '', '0', '0d', '-5', '1.5h', '5x', 'd', '1h 30m', '1h1h', '30D', '101y', 0, -1, 1.5, Number.MAX_SAFE_INTEGER + 2]
  for (const input of bad) {
    assert.throws(() => parseDuration(input), (err: unknown) => {
      assert.ok(err instanceof DurationError, `${JSON.stringify(input)} → ${String(err)}`)
      assert.ok(err.message.startsWith(`invalid duration ${JSON.stringify(input)}`), err.message)
      return true
    })
  }
  assert.match((() => { try { parseDuration('1h2h') } catch (err) { return String(err) } return '' })(), /unit "h" appears twice/)
})

test('cursors round-trip and anything else is a 400 naming the field', () => {
  for (const id of [1, 42, Number.MAX_SAFE_INTEGER]) assert.equal(decodeCursor(encodeCursor(id)), id)
  assert.doesNotMatch(encodeCursor(42), /42/, 'opaque, not the bare id')
  for (const bad of ['', 'abc', encodeCursor(1) + 'x', Buffer.from('id:0').toString('base64url'), Buffer.from('id:-1').toString('base64url'), Buffer.from('7').toString('base64url')]) {
    assert.throws(() => decodeCursor(bad), (err: unknown) => err instanceof HttpError && err.statusCode === 400 && err.message.startsWith('querystring/cursor'))
  }
})

test('bearer tokens: any configured token, exact match only', () => {
  const check = bearerChecker(['first-token-0123456789', 'second-token-0123456789'])
  assert.equal(check('Bearer first-token-0123456789'), true)
  assert.equal(check('Bearer second-token-0123456789'), true)
  assert.equal(check('bearer second-token-0123456789'), true, 'the scheme is case-insensitive')
  assert.equal(check(undefined), false)
  assert.equal(check(''), false)
  assert.equal(check('Bearer'), false)
  assert.equal(check('first-token-0123456789'), false)
  assert.equal(check('Basic first-token-0123456789'), false)
  assert.equal(check('Bearer first-token-012345678'), false)
  assert.equal(check('Bearer first-token-01234567890'), false)
  assert.equal(check('Bearer first-token-0123456789 extra'), false)
})

test('CLI tables align columns and show null as -', () => {
  const text = table([{ id: 1, name: 'a', levels: { x: 1 } }, { id: 22, name: null, levels: {} }], ['id', 'name', 'levels'])
  assert.equal(text, ['ID  NAME  LEVELS', '1   a     {"x":1}', '22  -     {}'].join('\n'))
  assert.equal(table([], ['id']), '(none)')
  assert.equal(record({ id: 1, websocket_api_key: 'K' }), 'id                 1\nwebsocket_api_key  K')
})
