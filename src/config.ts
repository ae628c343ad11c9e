import type { TSchema } from '@sinclair/typebox'
import { Value } from '@sinclair/typebox/value'
import { OptionsSchema, type LicensewireOptions } from './options.js'
import { parseSigningKey } from './leases/keys.js'

export interface ServiceConfig {
  port: number
  host: string
  databaseUrl: string | undefined
  pgliteDataDir: string
  trustProxy: string[] | undefined
  logLevel: string
  /** How long a client may take to send a request's headers (an upgrade's are all of it). */
  headersTimeoutMs: number
  plugin: LicensewireOptions
}

/** Every problem of the environment, one line each: the variable, what is wrong, the fix. */
export class ConfigError extends Error {
  constructor (readonly problems: string[]) {
    super(`licensewire: cannot start, the environment has ${problems.length === 1 ? 'a problem' : `${problems.length} problems`}:\n${problems.map(p => `  - ${p}`).join('\n')}`)
  }
}

/** Whole-number variables and the plugin option each one sets (README, Configuration). */
const INTEGERS: [env: string, option: keyof LicensewireOptions][] = [
  ['INIT_TIMEOUT_MS', 'initTimeoutMs'],
  ['RATE_LIMIT_PACKETS', 'rateLimitPackets'],
  ['RATE_LIMIT_WINDOW_MS', 'rateLimitWindowMs'],
  ['RATE_LIMIT_COOLDOWN_MS', 'rateLimitCooldownMs'],
  ['CONNECT_RATE_LIMIT_MAX', 'connectRateLimitMax'],
  ['CONNECT_RATE_LIMIT_WINDOW_MS', 'connectRateLimitWindowMs'],
  ['MAX_PAYLOAD_BYTES', 'maxPayloadBytes'],
  ['MAX_BUFFERED_BYTES', 'maxBufferedBytes'],
  ['MAX_CONNECTIONS', 'maxConnections'],
  ['MAX_CONNECTIONS_PER_IP', 'maxConnectionsPerIp'],
  ['MAX_UNAUTHORIZED_PER_IP', 'maxUnauthorizedPerIp'],
  ['HEARTBEAT_MS', 'heartbeatMs'],
  ['SESSION_LEASE_MS', 'sessionLeaseMs'],
  ['RESUME_WINDOW_MS', 'resumeWindowMs'],
  ['DATABASE_POOL_MAX', 'poolMax'],
  ['ACCOUNT_CREATE_LIMIT', 'accountCreateLimit'],
  ['ACCOUNT_CREATE_WINDOW_MS', 'accountCreateWindowMs'],
  ['PASSWORD_HASH_CONCURRENCY', 'passwordHashConcurrency'],
  ['PASSWORD_HASH_QUEUE', 'passwordHashQueue'],
  ['FILE_URL_TTL_MS', 'fileUrlTtlMs'],
  ['FILE_MAX_BYTES', 'fileMaxBytes'],
  ['FILE_DOWNLOADS_MAX', 'fileDownloadsMax'],
  ['FILE_RATE_LIMIT_MAX', 'fileRateLimitMax'],
  ['FILE_RATE_LIMIT_WINDOW_MS', 'fileRateLimitWindowMs'],
  ['LEASE_TTL_S', 'leaseTtlS']
]

export const LOG_LEVELS = ['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent']
const MIN_TOKEN = 16

function str (env: NodeJS.ProcessEnv, name: string): string | undefined {
  const raw = env[name]?.trim()
  return raw === undefined || raw === '' ? undefined : raw
}

function list (env: NodeJS.ProcessEnv, name: string): string[] | undefined {
  const raw = str(env, name)
  return raw === undefined ? undefined : raw.split(',').map(s => s.trim()).filter(s => s !== '')
}

/** "between 1 and 1000", "at least 64", or "" when the schema sets no bound. */
function range (schema: TSchema): string {
  const { minimum, maximum } = schema as { minimum?: number, maximum?: number }
  if (minimum !== undefined && maximum !== undefined) return `between ${minimum} and ${maximum}`
  if (minimum !== undefined) return `of at least ${minimum}`
  return maximum !== undefined ? `of at most ${maximum}` : ''
}

/** A URL for a message: the password never printed. */
export function redactUrl (raw: string): string {
  try {
    const url = new URL(raw)
    if (url.password !== '') url.password = '***'
    return url.toString()
  } catch {
    return '(not a URL)'
  }
}

/**
 * The standalone service's environment (README, Configuration; .env.example) →
 * settings. Checked here, in the environment's own words, rather than left to the
 * plugin's option names or a library's errors; a ConfigError lists every problem.
 */
export function loadConfig (env: NodeJS.ProcessEnv = process.env): ServiceConfig {
  const problems: string[] = []
  const plugin: LicensewireOptions = {}
  const set = plugin as Record<string, unknown>

  for (const [name, option] of INTEGERS) {
    const raw = str(env, name)
    if (raw === undefined) continue
    const schema = OptionsSchema.properties[option] as TSchema & { default?: number }
    const value = /^\d+$/.test(raw) ? Number(raw) : undefined
    if (value === undefined || !Value.Check(schema, value)) {
      problems.push(`${name}=${raw}: must be a whole number ${range(schema) || 'of 0 or more'}. ` +
        `Fix: set it within that range, or leave it empty for the default (${schema.default}).`)
    } else {
      set[option] = value
    }
  }

  const tokens = list(env, 'ADMIN_TOKEN')
  if (tokens !== undefined) {
    // Never the token itself in the message: only which one and how long it is.
    const short = tokens.map((t, i) => ({ i, length: t.length })).filter(t => t.length < MIN_TOKEN)
    for (const { i, length } of short) {
      problems.push(`ADMIN_TOKEN: token ${i + 1} of ${tokens.length} is ${length} characters long; each needs at least ${MIN_TOKEN}. ` +
        'Fix: use a long random string (e.g. `openssl rand -hex 24`), or leave ADMIN_TOKEN empty to turn the management API off.')
    }
    if (short.length === 0) plugin.adminTokens = tokens
  }

  const wsPath = str(env, 'WS_PATH')
  if (wsPath !== undefined && !wsPath.startsWith('/')) {
    problems.push(`WS_PATH=${wsPath}: must start with "/". Fix: e.g. WS_PATH=/${wsPath}, or leave it empty for /ws.`)
  } else if (wsPath !== undefined) {
    plugin.wsPath = wsPath
  }

  // A PEM in one variable: real line breaks, or `\n` as .env files and compose often write them.
  const signingKey = str(env, 'LEASE_SIGNING_KEY')?.replace(/\\n/g, '\n').trim()
  if (signingKey !== undefined) {
    try {
      parseSigningKey(signingKey)
      plugin.leaseSigningKey = signingKey
    } catch (err) {
      problems.push(`LEASE_SIGNING_KEY: ${(err as Error).message.replace(/^licensewire: invalid option "leaseSigningKey": /, '')}. ` +
        'Fix: an Ed25519 private key in PKCS#8 PEM (`openssl genpkey -algorithm ed25519`), or leave it empty to have one generated and kept in Postgres.')
    }
  }
  const issuer = str(env, 'LEASE_ISSUER')
  if (issuer !== undefined && issuer.length > 256) {
    problems.push(`LEASE_ISSUER: is ${issuer.length} characters long, at most 256 are allowed. Fix: a shorter name, or leave it empty for "licensewire".`)
  } else if (issuer !== undefined) {
    plugin.leaseIssuer = issuer
  }

  const rawPort = str(env, 'PORT')
  const port = rawPort === undefined ? 3000 : /^\d+$/.test(rawPort) ? Number(rawPort) : -1
  if (port < 0 || port > 65535) problems.push(`PORT=${rawPort}: must be a port number between 0 and 65535. Fix: e.g. PORT=3000, or leave it empty for 3000.`)

  const databaseUrl = str(env, 'DATABASE_URL')
  if (databaseUrl !== undefined && !/^postgres(ql)?:\/\/[^/]/.test(databaseUrl)) {
    problems.push(`DATABASE_URL: is not a postgres:// URL (it starts "${databaseUrl.slice(0, 11)}…"). ` +
      'Fix: postgres://USER:PASSWORD@HOST:5432/DATABASE, or leave it empty for the embedded database.')
  }

  const logLevel = str(env, 'LOG_LEVEL') ?? 'info'
  if (!LOG_LEVELS.includes(logLevel)) {
    problems.push(`LOG_LEVEL=${logLevel}: is not a log level. Fix: one of ${LOG_LEVELS.join(', ')}, or leave it empty for info.`)
  }

  // Node refuses a headers timeout longer than its request timeout (300 s).
  const rawHeadersTimeout = str(env, 'HEADERS_TIMEOUT_MS')
  const headersTimeoutMs = rawHeadersTimeout === undefined ? 10_000 : /^\d+$/.test(rawHeadersTimeout) ? Number(rawHeadersTimeout) : -1
  if (headersTimeoutMs < 1000 || headersTimeoutMs > 300_000) {
    problems.push(`HEADERS_TIMEOUT_MS=${rawHeadersTimeout}: must be a whole number between 1000 and 300000. Fix: set it within that range, or leave it empty for 10000.`)
  }

  if (problems.length > 0) throw new ConfigError(problems)
  return {
    port,
    host: str(env, 'HOST') ?? '0.0.0.0',
    databaseUrl,
    pgliteDataDir: str(env, 'PGLITE_DATA_DIR') ?? './data/pglite',
    trustProxy: list(env, 'TRUST_PROXY'),
    logLevel,
    headersTimeoutMs,
    plugin
  }
}
