import { LicenseEvent, type LicenseEventCode } from '../events.js'
import { newLicenseKey } from '../keys.js'
import type { LicenseChange, LicenseRow } from '../repositories/licenses.js'
import { requireApp, type AdminContext } from './context.js'
import { DurationError, MAX_DURATION_SECONDS, parseDuration } from './duration.js'
import { badRequest, conflict, notFound } from './errors.js'
import { levelsProblem } from './input-guard.js'
import type { CreateLicensesBody, LicenseJson, LicensePageJson, ListLicensesQuery, PatchLicenseBody } from './schemas.js'
import { licenseJson } from './views.js'

const UNIQUE_VIOLATION = '23505'
const FOREIGN_KEY_VIOLATION = '23503'
const OUT_OF_RANGE = new Set(['22003', '22008'])

const pgCode = (err: unknown): string | undefined =>
  typeof err === 'object' && err !== null && 'code' in err && typeof err.code === 'string' ? err.code : undefined

/** The message names the field, the way Fastify's validation errors do. */
function duration (input: string | number, field: string): number {
  try {
    return parseDuration(input)
  } catch (err) {
    if (err instanceof DurationError) throw badRequest(`${field}: ${err.message}`)
    throw err
  }
}

/**
 * Levels go to every authorized client with each license answer: bounded in size and
 * nesting. jsonb rejects \u0000 in strings; caught here instead of as a database error.
 */
function checkLevels (levels: Record<string, unknown> | undefined, field: string): void {
  if (levels === undefined) return
  const problem = levelsProblem(levels, field)
  if (problem !== undefined) throw badRequest(problem)
  if (JSON.stringify(levels).includes('\\u0000')) throw badRequest(`${field} must not contain NUL characters`)
}

/** The cursor is the last id of a page, opaque to clients so it can change later. */
export function encodeCursor (id: number): string {
  return Buffer.from(`id:${id}`).toString('base64url')
}

export function decodeCursor (cursor: string): number {
  const match = /^id:([1-9]\d{0,15})$/.exec(Buffer.from(cursor, 'base64url').toString())
  const id = match === null ? NaN : Number(match[1])
  if (!Number.isSafeInteger(id) || encodeCursor(id) !== cursor) throw badRequest('querystring/cursor is not a cursor this API returned')
  return id
}

// Keys are secrets: no message here quotes one, since 4xx errors are logged.
const licenseNotFound = () => notFound('license not found')

export class LicensesService {
  constructor (private readonly ctx: AdminContext) {}

  async create (appId: number, body: CreateLicensesBody): Promise<LicenseJson[]> {
    if (body.keys !== undefined && body.count !== undefined) throw badRequest('body/count and body/keys are exclusive: give one of them')
    const durationSeconds = duration(body.duration, 'body/duration')
    checkLevels(body.levels, 'body/levels')
    const keys = body.keys ?? Array.from({ length: body.count ?? 1 }, newLicenseKey)
    this.checkKeys(keys)
    await requireApp(this.ctx.repos, appId)
    const existing = new Set(await this.ctx.repos.licenses.existingKeys(appId, keys))
    const taken = keys.findIndex(key => existing.has(key))
    if (taken >= 0) throw conflict(`body/keys/${taken} already exists in this app`)
    const licenses = keys.map(key => ({ key, durationSeconds, levels: body.levels ?? {}, comment: body.comment ?? null }))
    try {
      return (await this.ctx.repos.licenses.insert(appId, licenses)).map(licenseJson)
    } catch (err) {
      // A concurrent request took a key, or deleted the app, since the checks above.
      if (pgCode(err) === UNIQUE_VIOLATION) throw conflict('body/keys: a license key already exists in this app')
      if (pgCode(err) === FOREIGN_KEY_VIOLATION) throw notFound(`app ${appId} not found`)
      throw err
    }
  }

  /**
   * Lengths as the protocol counts them (UTF-16 code units, statuses 101/102); the
   * schema's limits count code points, so a key of astral characters gets here.
   */
  private checkKeys (keys: string[]): void {
    const seen = new Map<string, number>()
    keys.forEach((key, i) => {
      if (key.length < 6 || key.length > 64) throw badRequest(`body/keys/${i} must be 6 to 64 UTF-16 code units long`)
      const first = seen.get(key)
      if (first !== undefined) throw conflict(`body/keys/${i} repeats body/keys/${first}`)
      seen.set(key, i)
    })
  }

  async list (appId: number, query: ListLicensesQuery): Promise<LicensePageJson> {
    const afterId = query.cursor === undefined ? undefined : decodeCursor(query.cursor)
    await requireApp(this.ctx.repos, appId)
    // One extra row tells whether another page exists without a count.
    const rows = await this.ctx.repos.licenses.list(appId, { state: query.state, prefix: query.q, afterId, limit: query.limit + 1 })
    const page = rows.slice(0, query.limit)
    const last = page[page.length - 1]
    return {
      items: page.map(licenseJson),
      next_cursor: rows.length > query.limit && last !== undefined ? encodeCursor(Number(last.id)) : null
    }
  }

  async get (appId: number, key: string): Promise<LicenseJson> {
    return licenseJson(await this.found(appId, await this.ctx.repos.licenses.get(appId, key)))
  }

  async update (appId: number, key: string, body: PatchLicenseBody): Promise<LicenseJson> {
    checkLevels(body.levels, 'body/levels')
    return licenseJson(await this.found(appId, await this.ctx.repos.licenses.update(appId, key, body)))
  }

  async delete (appId: number, key: string): Promise<void> {
    const deleted = await this.ctx.repos.licenses.delete(appId, key)
    if (deleted === undefined) {
      await this.found(appId, undefined)
      return
    }
    await this.publish(appId, Number(deleted.id), LicenseEvent.Deleted)
    await this.coverageChanged(appId, deleted.account_id)
  }

  pause (appId: number, key: string): Promise<LicenseJson> {
    return this.act(appId, this.ctx.repos.licenses.pause(appId, key), LicenseEvent.Paused)
  }

  unpause (appId: number, key: string): Promise<LicenseJson> {
    return this.act(appId, this.ctx.repos.licenses.unpause(appId, key), LicenseEvent.Unpaused)
  }

  blacklist (appId: number, key: string, comment: string | null): Promise<LicenseJson> {
    return this.act(appId, this.ctx.repos.licenses.blacklist(appId, key, comment), LicenseEvent.Blacklisted)
  }

  unblacklist (appId: number, key: string): Promise<LicenseJson> {
    return this.act(appId, this.ctx.repos.licenses.unblacklist(appId, key), LicenseEvent.Unblacklisted)
  }

  resetClient (appId: number, key: string): Promise<LicenseJson> {
    return this.act(appId, this.ctx.repos.licenses.resetClient(appId, key), LicenseEvent.ClientIdReset)
  }

  reinitialize (appId: number, key: string): Promise<LicenseJson> {
    return this.act(appId, this.ctx.repos.licenses.reinitialize(appId, key), LicenseEvent.Reinitialized)
  }

  /**
   * No panel event exists for an extension; sessions read the new expiry on their next
   * packet. The time left is capped at 100 years, as a new license's duration is.
   */
  async extend (appId: number, key: string, input: string | number): Promise<LicenseJson> {
    const seconds = duration(input, 'body/duration')
    try {
      return await this.act(appId, this.ctx.repos.licenses.extend(appId, key, seconds, MAX_DURATION_SECONDS), undefined)
    } catch (err) {
      if (OUT_OF_RANGE.has(pgCode(err) ?? '')) throw badRequest('body/duration takes the license past the largest time the database can store')
      throw err
    }
  }

  /** Sessions hear of an action only when it changed the license: a repeated pause stays quiet. */
  private async act (appId: number, change: Promise<LicenseChange | undefined>, event: LicenseEventCode | undefined): Promise<LicenseJson> {
    const { license, changed } = await this.found(appId, await change)
    if (changed && event !== undefined) await this.publish(appId, Number(license.id), event)
    if (changed) await this.coverageChanged(appId, license.account_id)
    return licenseJson(license)
  }

  private async publish (appId: number, licenseId: number, event: LicenseEventCode): Promise<void> {
    await this.ctx.publish({ type: 'license_changed', appId, licenseId, event })
  }

  /** A linked license changed: its account's sessions re-read their coverage (event 2 when it lapsed). */
  private async coverageChanged (appId: number, accountId: number | null): Promise<void> {
    if (accountId !== null) await this.ctx.publish({ type: 'coverage_changed', appId, accountId: Number(accountId) })
  }

  /** 404 naming the app when the app is missing, else the license. */
  private async found<T extends LicenseRow | LicenseChange> (appId: number, value: T | undefined): Promise<T> {
    if (value !== undefined) return value
    await requireApp(this.ctx.repos, appId)
    throw licenseNotFound()
  }
}
