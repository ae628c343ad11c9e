import { before, test, type TestContext } from 'node:test'
import assert from 'node:assert/strict'
import { randomBytes } from 'node:crypto'
import { cp, mkdtemp, readdir, rm, writeFile } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { migrate, migrationsDir } from '../src/db/migrate.js'
import { testDatabase, type TestDatabase } from './helpers/database.js'

let db: TestDatabase
before(async t => { db = await testDatabase(t) })

/** A copy of migrations/ with one extra function file, so the real ones stay as they are. */
async function withProbe (t: TestContext): Promise<{ dir: string, name: string, write: (value: number) => Promise<void> }> {
  const dir = await mkdtemp(join(tmpdir(), 'licensewire-migrations-'))
  await cp(migrationsDir(), dir, { recursive: true })
  // Unique: on a real Postgres the database outlives this test file.
  const name = `lw_test_probe_${randomBytes(4).toString('hex')}`
  const write = (value: number): Promise<void> => writeFile(join(dir, 'functions', `${name}.sql`),
    `CREATE OR REPLACE FUNCTION ${name} () RETURNS integer LANGUAGE sql AS $$ SELECT ${value} $$;\n`)
  t.after(async () => {
    await db.pool.query(`DROP FUNCTION IF EXISTS ${name} ()`)
    await db.pool.query('DELETE FROM schema_functions WHERE name = $1', [`${name}.sql`])
    await rm(dir, { recursive: true, force: true })
  })
  return { dir, name, write }
}

async function probe (name: string): Promise<number> {
  const { rows } = await db.pool.query<{ v: number }>(`SELECT ${name}() AS v`)
  return rows[0]!.v
}

test('a function file is applied when new and again when it changes, and only then', async t => {
  const { dir, name, write } = await withProbe(t)
  const file = `functions/${name}.sql`
  await write(1)
  // The real function files are applied already and unchanged: only the new one runs.
  assert.deepEqual(await migrate(db.pool, dir), [file])
  assert.equal(await probe(name), 1)
  assert.deepEqual(await migrate(db.pool, dir), [], 'unchanged: not applied again')

  await write(2)
  assert.deepEqual(await migrate(db.pool, dir), [file])
  assert.equal(await probe(name), 2)
  assert.deepEqual(await migrate(db.pool, dir), [])
  assert.deepEqual(await migrate(db.pool), [], 'the shipped folder is unchanged too')
})

test('a function file that fails leaves the function and its recorded hash as they were', async t => {
  const { dir, name, write } = await withProbe(t)
  await write(1)
  await migrate(db.pool, dir)
  await writeFile(join(dir, 'functions', `${name}.sql`),
    `CREATE OR REPLACE FUNCTION ${name} () RETURNS integer LANGUAGE sql AS $$ SELECT nope FROM no_such_table $$;\n`)
  await assert.rejects(migrate(db.pool, dir), /no_such_table/)
  assert.equal(await probe(name), 1)
  await write(1)
  assert.deepEqual(await migrate(db.pool, dir), [], 'the hash of the working version is still the recorded one')
})

test('every lw_ function in the database is owned by a function file', async () => {
  const { rows } = await db.pool.query<{ name: string }>(
    `SELECT p.proname AS name FROM pg_proc p JOIN pg_namespace n ON n.oid = p.pronamespace
      WHERE n.nspname = current_schema() AND p.proname LIKE 'lw\\_%' AND p.proname NOT LIKE 'lw\\_test\\_probe\\_%'
      ORDER BY 1`)
  const { rows: recorded } = await db.pool.query<{ name: string }>('SELECT name FROM schema_functions ORDER BY name')
  assert.deepEqual(rows.map(r => `${r.name}.sql`), recorded.map(r => r.name).filter(n => !n.startsWith('lw_test_probe_')))
  const files = (await readdir(join(migrationsDir(), 'functions'))).filter(f => f.endsWith('.sql')).sort()
  assert.deepEqual(rows.map(r => `${r.name}.sql`), files)
})
