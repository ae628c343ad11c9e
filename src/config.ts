import type { LicensewireOptions } from './options.js'

export interface ServiceConfig {
  port: number
  host: string
  databaseUrl: string | undefined
  pgliteDataDir: string
  trustProxy: string[] | undefined
  logLevel: string
  plugin: LicensewireOptions
}

function int (env: NodeJS.ProcessEnv, name: string): number | undefined {
  const raw = env[name]?.trim()
  if (raw === undefined || raw === '') return undefined
  if (!/^\d+$/.test(raw)) throw new Error(`${name} must be a non-negative integer, got "${raw}"`)
  return Number(raw)
}

function str (env: NodeJS.ProcessEnv, name: string): string | undefined {
  const raw = env[name]?.trim()
  return raw === undefined || raw === '' ? undefined : raw
}

/** A PEM in one variable: real line breaks, or `\n` as .env files and compose often write them. */
function pem (env: NodeJS.ProcessEnv, name: string): string | undefined {
  return str(env, name)?.replace(/\\n/g, '\n').trim()
}

function list (env: NodeJS.ProcessEnv, name: string): string[] | undefined {
  const raw = str(env, name)
  return raw === undefined ? undefined : raw.split(',').map(s => s.trim()).filter(s => s !== '')
}

/** The standalone service's environment (docs/admin-api.md, Standalone runtime; .env.example) → settings. */
export function loadConfig (env: NodeJS.ProcessEnv = process.env): ServiceConfig {
  const plugin: LicensewireOptions = {
    adminTokens: list(env, 'ADMIN_TOKEN'),
    wsPath: str(env, 'WS_PATH'),
    initTimeoutMs: int(env, 'INIT_TIMEOUT_MS'),
    rateLimitPackets: int(env, 'RATE_LIMIT_PACKETS'),
    rateLimitWindowMs: int(env, 'RATE_LIMIT_WINDOW_MS'),
    rateLimitCooldownMs: int(env, 'RATE_LIMIT_COOLDOWN_MS'),
    connectRateLimitMax: int(env, 'CONNECT_RATE_LIMIT_MAX'),
    connectRateLimitWindowMs: int(env, 'CONNECT_RATE_LIMIT_WINDOW_MS'),
    maxPayloadBytes: int(env, 'MAX_PAYLOAD_BYTES'),
    maxBufferedBytes: int(env, 'MAX_BUFFERED_BYTES'),
    heartbeatMs: int(env, 'HEARTBEAT_MS'),
    sessionLeaseMs: int(env, 'SESSION_LEASE_MS'),
    resumeWindowMs: int(env, 'RESUME_WINDOW_MS'),
    poolMax: int(env, 'DATABASE_POOL_MAX'),
    accountCreateLimit: int(env, 'ACCOUNT_CREATE_LIMIT'),
    accountCreateWindowMs: int(env, 'ACCOUNT_CREATE_WINDOW_MS'),
    passwordHashConcurrency: int(env, 'PASSWORD_HASH_CONCURRENCY'),
    passwordHashQueue: int(env, 'PASSWORD_HASH_QUEUE'),
    fileUrlTtlMs: int(env, 'FILE_URL_TTL_MS'),
    fileMaxBytes: int(env, 'FILE_MAX_BYTES'),
    fileDownloadsMax: int(env, 'FILE_DOWNLOADS_MAX'),
    fileRateLimitMax: int(env, 'FILE_RATE_LIMIT_MAX'),
    fileRateLimitWindowMs: int(env, 'FILE_RATE_LIMIT_WINDOW_MS'),
    leaseTtlS: int(env, 'LEASE_TTL_S'),
    leaseSigningKey: pem(env, 'LEASE_SIGNING_KEY'),
    leaseIssuer: str(env, 'LEASE_ISSUER')
  }
  for (const key of Object.keys(plugin) as (keyof LicensewireOptions)[]) {
    if (plugin[key] === undefined) delete plugin[key]
  }
  return {
    port: int(env, 'PORT') ?? 3000,
    host: str(env, 'HOST') ?? '0.0.0.0',
    databaseUrl: str(env, 'DATABASE_URL'),
    pgliteDataDir: str(env, 'PGLITE_DATA_DIR') ?? './data/pglite',
    trustProxy: list(env, 'TRUST_PROXY'),
    logLevel: str(env, 'LOG_LEVEL') ?? 'info',
    plugin
  }
}
