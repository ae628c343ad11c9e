import { randomUUID } from 'node:crypto'
import { Type, type Static } from '@sinclair/typebox'
import { Value } from '@sinclair/typebox/value'
import type { Pool } from 'pg'
import { defaultMaxConnections } from './connection-limits.js'
import { parseSigningKey } from './leases/keys.js'

const PositiveMs = (def: number) => Type.Integer({ minimum: 1, default: def })

/**
 * Plugin options. Everything but the database has a default; the numbers match
 * docs/admin-api.md so the standalone service and a mounted plugin behave the same.
 */
export const OptionsSchema = Type.Object({
  /** A pool owned by the host; licensewire never ends it. */
  pool: Type.Optional(Type.Unsafe<Pool>({})),
  /** Or a URL: licensewire creates, and later ends, its own pool. */
  connectionString: Type.Optional(Type.String({ minLength: 1 })),
  poolMax: Type.Integer({ minimum: 1, maximum: 1000, default: 20 }),
  statementTimeoutMs: PositiveMs(5000),
  connectionTimeoutMs: PositiveMs(5000),
  /**
   * How live admin events reach the other instances: Postgres LISTEN/NOTIFY, or
   * 'local' (in memory) for one process on the embedded database.
   */
  events: Type.Union([Type.Literal('postgres'), Type.Literal('local')], { default: 'postgres' }),
  /** Apply migrations at registration (several replicas may do so at once). */
  migrate: Type.Boolean({ default: true }),

  adminTokens: Type.Array(Type.String({ minLength: 16 }), { default: [] }),
  /** Route prefix for the WebSocket, health and admin routes ('' = none). */
  prefix: Type.String({ pattern: '^(/.*)?$', default: '' }),
  wsPath: Type.String({ pattern: '^/', default: '/ws' }),
  initTimeoutMs: PositiveMs(15000),
  rateLimitPackets: Type.Integer({ minimum: 1, default: 60 }),
  rateLimitWindowMs: PositiveMs(60000),
  rateLimitCooldownMs: Type.Integer({ minimum: 0, default: 60000 }),
  connectRateLimitMax: Type.Integer({ minimum: 1, default: 120 }),
  connectRateLimitWindowMs: PositiveMs(60000),
  maxPayloadBytes: Type.Integer({ minimum: 64, maximum: 16 * 1024 * 1024, default: 16384 }),
  /**
   * WebSocket connections this instance accepts; more upgrades are answered 503 with
   * Retry-After. Default: 80 % of the process's open-files limit, at most 10,000.
   */
  maxConnections: Type.Optional(Type.Integer({ minimum: 1 })),
  /** WebSocket connections from one client IP (503 with Retry-After beyond). */
  maxConnectionsPerIp: Type.Integer({ minimum: 1, default: 1000 }),
  /** Sessions of one client IP that are not authorized (yet); one more upgrade is 503. */
  maxUnauthorizedPerIp: Type.Integer({ minimum: 1, default: 100 }),
  /** Unsent bytes a socket may hold; a client that stays over it for a few seconds is closed 1008. */
  maxBufferedBytes: Type.Integer({ minimum: 1024, default: 1024 * 1024 }),
  heartbeatMs: PositiveMs(25000),
  sessionLeaseMs: Type.Integer({ minimum: 300, default: 30000 }),
  /** How long a dropped session may be resumed with its Resume-Id (docs/protocol.md §9); 0 turns resumption off. */
  resumeWindowMs: Type.Integer({ minimum: 0, maximum: 86_400_000, default: 60000 }),
  /** Accounts one client IP may create without a license per window, per app (status 5). */
  accountCreateLimit: Type.Integer({ minimum: 1, default: 3 }),
  accountCreateWindowMs: PositiveMs(86_400_000),
  /** argon2id hashes computed at once by this instance; more wait in a queue of `passwordHashQueue`. */
  passwordHashConcurrency: Type.Integer({ minimum: 1, maximum: 64, default: 2 }),
  /** Logins waiting for a hashing slot; one more answers 6 instead of waiting. */
  passwordHashQueue: Type.Integer({ minimum: 0, default: 128 }),
  /** How long a file download URL (packet 7) works. */
  fileUrlTtlMs: PositiveMs(60000),
  /** Largest file an upload may store (HTTP 413 over it). */
  fileMaxBytes: Type.Integer({ minimum: 1, default: 256 * 1024 * 1024 }),
  /** File downloads this instance streams at once; more are answered 503 with Retry-After. */
  fileDownloadsMax: Type.Integer({ minimum: 1, default: 16 }),
  /** File download requests per client IP per window (HTTP 429 over it). */
  fileRateLimitMax: Type.Integer({ minimum: 1, default: 60 }),
  fileRateLimitWindowMs: PositiveMs(60000),
  /** 'timestamp' keeps the seed: the activating authorize gets the Unix expiry. */
  timeLeft: Type.Union([Type.Literal('timestamp'), Type.Literal('seconds')], { default: 'timestamp' }),
  /** Lifetime of a signed lease, in seconds; a lease never outlives its license either. */
  leaseTtlS: Type.Integer({ minimum: 1, maximum: 10 * 365 * 86400, default: 86400 }),
  /**
   * PKCS#8 PEM of the Ed25519 key leases are signed with; without it one is generated on
   * first start and kept in the database. Every instance must get the same one.
   */
  leaseSigningKey: Type.Optional(Type.String({ minLength: 1 })),
  /** The `iss` claim of every lease. */
  leaseIssuer: Type.String({ minLength: 1, maxLength: 256, default: 'licensewire' }),
  /** This instance's id in the sessions table; a random UUID unless given. */
  instanceId: Type.Optional(Type.String({ pattern: '^[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}$' }))
})

export type LicensewireOptions = Partial<Static<typeof OptionsSchema>>
export type ResolvedOptions = Static<typeof OptionsSchema> & { instanceId: string, maxConnections: number }

/** Validates once, at registration, and fills in defaults; throws a message naming the option. */
export function resolveOptions (input: LicensewireOptions | undefined): ResolvedOptions {
  const raw: Record<string, unknown> = { ...(input ?? {}) }
  // Fastify passes its own register options (prefix, logLevel, …) along with ours.
  for (const key of ['logLevel', 'logSerializers']) delete raw[key]
  const withDefaults = Value.Default(OptionsSchema, Value.Clone(withoutPool(raw))) as Record<string, unknown>
  const unknown = Object.keys(withDefaults).filter(k => !(k in OptionsSchema.properties))
  if (unknown.length > 0) throw new Error(`licensewire: unknown option "${unknown[0]}"`)
  for (const error of Value.Errors(OptionsSchema, withDefaults)) {
    const name = error.path.replace(/^\//, '').replace(/\//g, '.') || '(options)'
    throw new Error(`licensewire: invalid option "${name}": ${error.message}`)
  }
  const pool = raw.pool
  if (pool !== undefined && (typeof pool !== 'object' || pool === null || typeof (pool as Pool).query !== 'function' || typeof (pool as Pool).connect !== 'function')) {
    throw new Error('licensewire: invalid option "pool": expected a pg.Pool')
  }
  if ((pool === undefined) === (withDefaults.connectionString === undefined)) {
    throw new Error('licensewire: pass exactly one of the options "pool" and "connectionString"')
  }
  // Here, before a pool or a listener is opened that a failed start would leave behind.
  if (typeof withDefaults.leaseSigningKey === 'string') parseSigningKey(withDefaults.leaseSigningKey)
  return {
    ...withDefaults,
    pool,
    instanceId: withDefaults.instanceId ?? randomUUID(),
    // Read once, at registration: the fd limit does not change under a running process.
    maxConnections: withDefaults.maxConnections ?? defaultMaxConnections()
  } as ResolvedOptions
}

function withoutPool (raw: Record<string, unknown>): Record<string, unknown> {
  const { pool: _pool, ...rest } = raw
  return rest
}
