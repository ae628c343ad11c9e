// `node --import ./test/helpers/without-pglite.mjs …`: resolves every module as
// usual except PGlite's, as if the optional dependencies were not installed.
import { register } from 'node:module'

const hook = `
export async function resolve (specifier, context, next) {
  if (specifier.startsWith('@electric-sql/pglite')) {
    const err = new Error("Cannot find package '" + specifier + "'")
    err.code = 'ERR_MODULE_NOT_FOUND'
    throw err
  }
  return next(specifier, context)
}`
register(`data:text/javascript,${encodeURIComponent(hook)}`)
