import { Type, type Static, type TProperties, type TSchema } from '@sinclair/typebox'
import { FILE_NAME_PATTERN } from '../files/names.js'
import { WELL_FORMED_NO_NUL } from '../unicode.js'

/**
 * TypeBox schemas of the management API (docs/admin-api.md): they validate requests,
 * serialize responses and feed the OpenAPI document, so all three agree. Request
 * bodies are validated without type coercion (plugins/admin.ts).
 */

/**
 * Postgres text cannot hold NUL (a request would fail as a 500) and turns a lone
 * surrogate into U+FFFD (two keys would become one): both are 400.
 */
const Text = (options: { minLength?: number, maxLength?: number, description?: string } = {}) =>
  Type.String({ pattern: WELL_FORMED_NO_NUL, ...options })
const Nullable = <T extends TSchema>(schema: T) => Type.Union([Type.Null(), schema])
const DateTime = Type.String({ format: 'date-time' })
const Id = Type.Integer({ minimum: 1, maximum: Number.MAX_SAFE_INTEGER })

const ERROR_DESCRIPTIONS = {
  400: 'Invalid request; the message names the field',
  401: 'Missing or invalid admin token',
  404: 'No such app, license, account, client id, session, variable or file',
  409: 'Conflict: the key, login, client id or variable name exists already, the change is not allowed in the state the record is in (such as rotating a signing key set by LEASE_SIGNING_KEY), or the app has no room for the file',
  413: 'The file is larger than the server accepts (FILE_MAX_BYTES)',
  503: 'Password hashing is busy on this instance; try again'
} as const

/** Fastify's error shape. */
const errorResponse = (description: string) => Type.Object({
  statusCode: Type.Integer(),
  code: Type.Optional(Type.String()),
  error: Type.String(),
  message: Type.String()
}, { description })
const ERROR_RESPONSES = {
  400: errorResponse(ERROR_DESCRIPTIONS[400]),
  401: errorResponse(ERROR_DESCRIPTIONS[401]),
  404: errorResponse(ERROR_DESCRIPTIONS[404]),
  409: errorResponse(ERROR_DESCRIPTIONS[409]),
  413: errorResponse(ERROR_DESCRIPTIONS[413]),
  503: errorResponse(ERROR_DESCRIPTIONS[503])
}

/** The error responses of a route, for the OpenAPI document; every route can answer 401. */
export const errors = (...codes: (400 | 404 | 409 | 413 | 503)[]) => {
  const out: Record<number, ReturnType<typeof errorResponse>> = {}
  for (const code of [...codes, 401 as const]) out[code] = ERROR_RESPONSES[code]
  return out
}

/** A request body: a field the route does not know is a 400, never silently dropped. */
const Body = <T extends TProperties>(properties: T) => Type.Object(properties, { additionalProperties: false })

/** 204: no body. Typed void so handlers call `send()` without a payload. */
export const Empty = Type.Unsafe<void>({ type: 'null', description: 'No content' })

// Apps

export const AppParams = Type.Object({ appId: Id })

const AppName = Text({ minLength: 1, maxLength: 200 })
const AppVersion = Text({ minLength: 1, maxLength: 64 })
/** The apps limit columns are integers. */
const SessionLimit = Type.Integer({ minimum: 0, maximum: 2147483647 })
const BlacklistLimit = Type.Integer({ minimum: 0, maximum: 2147483647, description: 'client-id blacklist entries at which packet 6 answers 604' })
const AccountsLimit = Type.Integer({ minimum: 0, maximum: 2147483647 })
const FileStorageLimit = Type.Integer({ minimum: 0, maximum: 2147483647, description: 'MiB the app\'s files may take together' })

export const App = Type.Object({
  id: Type.Integer(),
  name: Type.String(),
  version: Type.String(),
  websocket_api_key: Type.String({ description: '21 characters [A-Z0-9]' }),
  session_limit: Type.Integer(),
  blacklist_limit: Type.Integer(),
  accounts_limit: Type.Integer({ description: 'how many accounts the app may have' }),
  accounts_require_license: Type.Boolean({ description: 'copied to each new account as requires_license' }),
  signed_leases: Type.Boolean({ description: 'Ok answers of packets 2, 3, 15 and 16 carry a signed lease' }),
  paused: Type.Boolean(),
  file_storage_limit_mib: Type.Integer(),
  created_at: DateTime,
  updated_at: DateTime
})
export type AppJson = Static<typeof App>

export const AppDetail = Type.Composite([App, Type.Object({
  authorized_sessions: Type.Integer({ description: 'sessions holding a quota slot' }),
  online_sessions: Type.Integer({ description: 'initialized sessions on every instance' })
})])
export type AppDetailJson = Static<typeof AppDetail>

export const AppList = Type.Object({ items: Type.Array(App) })

export const CreateAppBody = Body({
  name: AppName,
  version: Type.Optional(AppVersion),
  session_limit: Type.Optional(SessionLimit),
  blacklist_limit: Type.Optional(BlacklistLimit),
  paused: Type.Optional(Type.Boolean()),
  accounts_limit: Type.Optional(AccountsLimit),
  accounts_require_license: Type.Optional(Type.Boolean()),
  file_storage_limit_mib: Type.Optional(FileStorageLimit),
  signed_leases: Type.Optional(Type.Boolean())
})
export type CreateAppBody = Static<typeof CreateAppBody>

export const PatchAppBody = Body({
  name: Type.Optional(AppName),
  version: Type.Optional(AppVersion),
  session_limit: Type.Optional(SessionLimit),
  blacklist_limit: Type.Optional(BlacklistLimit),
  paused: Type.Optional(Type.Boolean()),
  accounts_limit: Type.Optional(AccountsLimit),
  accounts_require_license: Type.Optional(Type.Boolean()),
  file_storage_limit_mib: Type.Optional(FileStorageLimit),
  signed_leases: Type.Optional(Type.Boolean())
})
export type PatchAppBody = Static<typeof PatchAppBody>

// Licenses

export const LICENSE_STATES = ['available', 'active', 'expired', 'paused', 'blacklisted'] as const
/** An enum rather than a union of literals: AJV then names the allowed values in one message. */
const LicenseState = Type.Unsafe<typeof LICENSE_STATES[number]>({ type: 'string', enum: [...LICENSE_STATES] })

export const LicenseParams = Type.Object({
  appId: Id,
  key: Text({ minLength: 1, maxLength: 256, description: 'the license key, URL-encoded' })
})

/** `"30d"`, `"1h30m"`, `"1y"` or whole seconds; the string is parsed by the service (duration.ts). */
export const Duration = Type.Union([
  Type.Integer({ minimum: 1 }),
  Type.String({ minLength: 1, maxLength: 64 })
], { description: 'seconds, or units s, m, h, d, w, y (365 d), combinable: "30d", "1h30m"' })

const Levels = Type.Record(Type.String(), Type.Unknown(), { description: 'free-form JSON object' })
const Comment = Nullable(Text({ maxLength: 2000 }))

export const License = Type.Object({
  key: Type.String(),
  levels: Levels,
  comment: Nullable(Type.String()),
  duration_seconds: Type.Integer(),
  state: LicenseState,
  activated_at: Nullable(DateTime),
  expires_at: Nullable(DateTime),
  paused_at: Nullable(DateTime),
  blacklisted_at: Nullable(DateTime),
  blacklist_comment: Nullable(Type.String()),
  client_id: Nullable(Type.String()),
  ip_address: Nullable(Type.String()),
  created_at: DateTime,
  updated_at: DateTime
})
export type LicenseJson = Static<typeof License>

export const LicenseItems = Type.Object({ items: Type.Array(License) })

export const CreateLicensesBody = Body({
  count: Type.Optional(Type.Integer({ minimum: 1, maximum: 1000 })),
  keys: Type.Optional(Type.Array(Text({ minLength: 6, maxLength: 64 }), { minItems: 1, maxItems: 1000 })),
  duration: Duration,
  levels: Type.Optional(Levels),
  comment: Type.Optional(Comment)
})
export type CreateLicensesBody = Static<typeof CreateLicensesBody>

export const ListLicensesQuery = Type.Object({
  state: Type.Optional(LicenseState),
  q: Type.Optional(Text({ minLength: 1, maxLength: 64, description: 'keys starting with this (case-sensitive)' })),
  limit: Type.Integer({ minimum: 1, maximum: 500, default: 100 }),
  cursor: Type.Optional(Type.String({ maxLength: 64, description: 'next_cursor of the previous page' }))
})
export type ListLicensesQuery = Static<typeof ListLicensesQuery>

export const LicensePage = Type.Object({
  items: Type.Array(License),
  next_cursor: Nullable(Type.String({ description: 'null on the last page' }))
})
export type LicensePageJson = Static<typeof LicensePage>

export const PatchLicenseBody = Body({
  levels: Type.Optional(Levels),
  comment: Type.Optional(Comment)
})
export type PatchLicenseBody = Static<typeof PatchLicenseBody>

export const BlacklistLicenseBody = Body({ comment: Type.Optional(Comment) })
export const ExtendLicenseBody = Body({ duration: Duration })

// Client-id blacklist

/** Protocol lengths of a client_id (statuses 500/501). */
const ClientId = Text({ minLength: 4, maxLength: 64 })

export const BlacklistParams = Type.Object({ appId: Id, clientId: Text({ minLength: 1, maxLength: 256 }) })

export const BlacklistEntry = Type.Object({
  client_id: Type.String(),
  comment: Nullable(Type.String()),
  source: Type.Unsafe<'admin' | 'client'>({
    type: 'string',
    enum: ['admin', 'client'],
    description: 'admin: added through this API; client: the client blacklisted itself (packet 6)'
  }),
  created_at: DateTime
})
export type BlacklistEntryJson = Static<typeof BlacklistEntry>

export const BlacklistList = Type.Object({ items: Type.Array(BlacklistEntry) })

export const AddBlacklistBody = Body({
  client_id: ClientId,
  comment: Type.Optional(Comment)
})

// Sessions

export const SessionParams = Type.Object({ appId: Id, sessionId: Type.String({ format: 'uuid' }) })

export const SessionItem = Type.Object({
  id: Type.String({ format: 'uuid' }),
  instance_id: Type.String({ format: 'uuid' }),
  client_id: Type.String(),
  ip_address: Nullable(Type.String()),
  license: Nullable(Type.String({ description: 'key of the license the session is authorized with' })),
  login: Nullable(Type.String({ description: 'login of the account the session is authorized with' })),
  initialized_at: DateTime,
  authorized_at: Nullable(DateTime),
  suspended_until: Nullable(Type.String({
    format: 'date-time',
    description: 'set while the connection dropped and the session waits to be resumed (its slot stays held until then); instance_id is then the instance that suspended it'
  }))
})
export type SessionItemJson = Static<typeof SessionItem>

export const SessionList = Type.Object({ items: Type.Array(SessionItem) })

// Variables

/** Lengths are checked again in UTF-16 code units by the service, as packet 11 counts them. */
const VariableName = Text({ minLength: 3, maxLength: 64 })
const VariableContent = Text({ maxLength: 16000, description: 'returned to clients exactly as stored; may itself be JSON text' })

export const VariableParams = Type.Object({ appId: Id, name: Text({ minLength: 1, maxLength: 256 }) })

export const Variable = Type.Object({
  name: Type.String(),
  content: Type.String(),
  protected: Type.Boolean({ description: 'only authorized sessions may read it' }),
  created_at: DateTime,
  updated_at: DateTime
})
export type VariableJson = Static<typeof Variable>

export const VariableList = Type.Object({ items: Type.Array(Variable) })

export const CreateVariableBody = Body({
  name: VariableName,
  content: VariableContent,
  protected: Type.Optional(Type.Boolean({ default: false }))
})
export type CreateVariableBody = Static<typeof CreateVariableBody>

export const PatchVariableBody = Body({
  content: Type.Optional(VariableContent),
  protected: Type.Optional(Type.Boolean())
})
export type PatchVariableBody = Static<typeof PatchVariableBody>

// Accounts

export const AccountParams = Type.Object({ appId: Id, accountId: Id })
export const AccountLicenseParams = Type.Object({
  appId: Id,
  accountId: Id,
  key: Text({ minLength: 1, maxLength: 256, description: 'the license key, URL-encoded' })
})

/**
 * Lengths as the protocol counts them (UTF-16 code units) are checked by the
 * service, which answers what packet 1 would; these limits only keep bodies small.
 */
const Login = Text({ minLength: 1, maxLength: 320, description: '4–320 characters; an e-mail address with credentials_type 1' })
const Password = Text({ minLength: 1, maxLength: 128, description: '8–128 characters; stored only as an argon2id hash' })
const AccountComment = Nullable(Text({ maxLength: 256 }))

export const Account = Type.Object({
  id: Type.Integer(),
  login: Type.String(),
  credentials_type: Type.Integer({ description: '0 login and password, 1 e-mail and password' }),
  comment: Nullable(Type.String()),
  requires_license: Type.Boolean(),
  blacklisted_at: Nullable(DateTime),
  blacklist_comment: Nullable(Type.String()),
  ip_address: Nullable(Type.String({ description: 'of the last successful authorization' })),
  last_login_at: Nullable(DateTime),
  licenses: Type.Array(Type.String(), { description: 'keys of the linked licenses' }),
  time_left: Nullable(Type.Integer({ description: 'whole seconds until the last covering license expires; null when none covers' })),
  created_at: DateTime,
  updated_at: DateTime
})
export type AccountJson = Static<typeof Account>

export const CreateAccountBody = Body({
  login: Login,
  password: Password,
  credentials_type: Type.Optional(Type.Union([Type.Literal(0), Type.Literal(1)])),
  comment: Type.Optional(AccountComment),
  requires_license: Type.Optional(Type.Boolean({ description: "default: the app's accounts_require_license" })),
  licenses: Type.Optional(Type.Array(Text({ minLength: 1, maxLength: 256 }), { maxItems: 100, description: 'keys to link (and activate)' }))
})
export type CreateAccountBody = Static<typeof CreateAccountBody>

export const ListAccountsQuery = Type.Object({
  q: Type.Optional(Text({ minLength: 1, maxLength: 320, description: 'logins starting with this, in any case' })),
  limit: Type.Integer({ minimum: 1, maximum: 500, default: 100 }),
  cursor: Type.Optional(Type.String({ maxLength: 64, description: 'next_cursor of the previous page' }))
})
export type ListAccountsQuery = Static<typeof ListAccountsQuery>

export const AccountPage = Type.Object({
  items: Type.Array(Account),
  next_cursor: Nullable(Type.String({ description: 'null on the last page' }))
})
export type AccountPageJson = Static<typeof AccountPage>

export const PatchAccountBody = Body({
  comment: Type.Optional(AccountComment),
  requires_license: Type.Optional(Type.Boolean()),
  password: Type.Optional(Password)
})
export type PatchAccountBody = Static<typeof PatchAccountBody>

export const BlacklistAccountBody = Body({ comment: Type.Optional(AccountComment) })
export const LinkLicenseBody = Body({ key: Text({ minLength: 1, maxLength: 256 }) })

// Files

export const FileParams = Type.Object({
  appId: Id,
  name: Type.String({ pattern: FILE_NAME_PATTERN, description: '4–16 characters: letters, digits, dashes, single spaces between words' })
})

export const File = Type.Object({
  name: Type.String(),
  size: Type.Integer({ description: 'bytes' }),
  checksum: Type.String({ description: 'SHA-256 of the bytes, 64 lowercase hex digits' }),
  transfer_count: Type.Integer({ description: 'completed downloads since this version was uploaded' }),
  last_transferred_at: Nullable(DateTime),
  created_at: DateTime
})
export type FileJson = Static<typeof File>

export const FileList = Type.Object({ items: Type.Array(File) })

/** Documents the raw body for OpenAPI; a stream cannot be validated, and this accepts anything. */
export const FileBody = Type.Unsafe<unknown>({ description: 'the file\'s bytes, sent as application/octet-stream' })

// Lease signing keys: never a private key, in any answer.

export const SigningKey = Type.Object({
  kid: Type.String({ description: 'RFC 7638 thumbprint of the public key; the kid of the leases it signs' }),
  created_at: DateTime,
  retired_at: Nullable(DateTime)
})
export type SigningKeyJson = Static<typeof SigningKey>

export const SigningKeyList = Type.Object({ items: Type.Array(SigningKey) })

export const NewSigningKey = Type.Object({ kid: Type.String(), created_at: DateTime })
export type NewSigningKeyJson = Static<typeof NewSigningKey>
