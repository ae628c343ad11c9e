#!/usr/bin/env node
// `npm test`: the whole suite on the embedded database; with DATABASE_URL (or
// TEST_DATABASE_URL) set, the same suite on that Postgres plus test/postgres/,
// the tests that need a real server (several instances on one database).
// Under c8, which prints a coverage summary of src/ and plugins/ at the end and
// exits with the tests' exit code.
import { existsSync, readdirSync } from 'node:fs'
import { spawnSync } from 'node:child_process'
import { fileURLToPath } from 'node:url'

const list = dir => (existsSync(dir) ? readdirSync(dir) : []).filter(f => f.endsWith('.test.ts')).sort().map(f => `${dir}/${f}`)
const real = Boolean(process.env.TEST_DATABASE_URL || process.env.DATABASE_URL)
const files = [...list('test'), ...(real ? list('test/postgres') : [])]
const extra = process.argv.slice(2)
console.log(`running ${files.length} test files on ${real ? 'Postgres (DATABASE_URL)' : 'embedded Postgres (PGlite)'}`)
const c8 = fileURLToPath(import.meta.resolve('c8/bin/c8.js'))
const coverage = [c8, '--reporter=text-summary', '--include=src/**', '--include=plugins/**']
const result = spawnSync(process.execPath, [
  ...coverage, process.execPath, '--import', 'tsx', '--test', '--test-concurrency=1', ...extra, ...files
], { stdio: 'inherit' })
process.exit(result.status ?? 1)
