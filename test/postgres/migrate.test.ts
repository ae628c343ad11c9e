import { before, test } from 'node:test'
import assert from 'node:assert/strict'
import { randomBytes } from 'node:crypto'
import pg from 'pg'
import { migrate } from '../../src/db/migrate.js'
import { testDatabase, type TestDatabase } from '../helpers/database.js'

// PGlite ignores advisory-lock exclusion, so only a real server can show that
// replicas migrating at once wait for each other.
let db: TestDatabase
before(async t => {
  db = await testDatabase(t)
  assert.ok(db.real, 'these tests need DATABASE_URL')
})

test('two migrate() calls at once on a fresh database: both succeed, one does the work', async t => {
  const name = `licensewire_migrate_${randomBytes(4).toString('hex')}`
  await db.pool.query(`CREATE DATABASE ${name}`)
  const url = new URL(db.connectionString)
  url.pathname = `/${name}`
  const pools = [0, 1].map(() => new pg.Pool({ connectionString: url.toString(), max: 1 }))
  t.after(async () => {
    await Promise.all(pools.map(p => p.end()))
    await db.pool.query(`DROP DATABASE IF EXISTS ${name}`)
  })

  const results = await Promise.all(pools.map(p => migrate(p)))
  const [did, waited] = results[0]!.length > 0 ? results : [results[1]!, results[0]!]
  assert.deepEqual(waited, [], 'the second found everything applied')
  assert.ok(did!.includes('001_init.sql') && did!.includes('functions/lw_authorize_license.sql'), did!.join(', '))
  const { rows } = await pools[0]!.query<{ n: number }>('SELECT count(*)::integer AS n FROM schema_functions')
  assert.equal(rows[0]!.n, did!.filter(f => f.startsWith('functions/')).length)
  assert.deepEqual(await Promise.all(pools.map(p => migrate(p))), [[], []])
})
