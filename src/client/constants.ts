/**
 * The wire constants a client needs (docs/protocol.md §5, §6, events). This file is
 * part of `licensewire/client` and must not import anything of the server.
 */

/** Response statuses (docs/protocol.md §6). */
export const Status = {
  Ok: 1,
  InvalidAPIKey: 2,
  NotAuthorized: 3,
  AlreadyInitialized: 4,
  TooManyRequests: 5,
  InternalServerError: 6,
  AlreadyAuthorized: 7,
  LicenseNotFound: 100,
  LicenseTooShort: 101,
  LicenseTooLong: 102,
  LicenseExpired: 103,
  LicensePaused: 104,
  LicenseBlacklisted: 105,
  LicenseAlreadyLinked: 106,
  LicenseAlreadyActivated: 107,
  AppUserNotFound: 200,
  AppUserBlacklisted: 201,
  AppUserAlreadyExists: 202,
  AppUserHasNoValidLicenses: 203,
  AppUserRequiresLicense: 204,
  AppUserLoginTooShort: 205,
  AppUserLoginTooLong: 206,
  AppUserPasswordTooShort: 207,
  AppUserPasswordTooLong: 208,
  AppUserInvalidEmail: 209,
  FileNotFound: 300,
  FileInvalidName: 301,
  FileInvalidResumeOffset: 303,
  FileNotBeingTransferred: 305,
  VariableNotFound: 400,
  VariableInvalidName: 401,
  ClientIDTooShort: 500,
  ClientIDTooLong: 501,
  ClientIDMismatch: 502,
  ClientIDBlacklisted: 503,
  AppNotFound: 600,
  AppPaused: 601,
  AppSessionsQuotaExceeded: 602,
  AppAccountsQuotaExceeded: 603,
  AppBlacklistsQuotaExceeded: 604,
  StoreValueNotFound: 700,
  StoreOutOfMemory: 701,
  StoreOutOfEntries: 702
} as const

export type StatusName = keyof typeof Status
export type StatusCode = typeof Status[StatusName]

const statusNames = new Map<number, StatusName>(
  (Object.entries(Status) as [StatusName, number][]).map(([name, code]) => [code, name]))

/** The constant's name of a status (`'AlreadyAuthorized'` for 7), or `'Unknown'`. */
export function statusName (status: number): StatusName | 'Unknown' {
  return statusNames.get(status) ?? 'Unknown'
}

/** Close codes the server uses (docs/protocol.md §5). */
export const CloseCode = {
  Normal: 1000,
  GoingAway: 1001,
  Abnormal: 1006,
  InvalidUtf8: 1007,
  PolicyViolation: 1008,
  TooBig: 1009,
  InternalError: 4000,
  DisconnectedFromPanel: 4100,
  AppPaused: 4101,
  AppDeleted: 4102,
  NotInitialized: 4200,
  RateLimitHit: 4201,
  InitTimeout: 4202,
  SessionBlacklisted: 4203,
  ClientIdBlacklisted: 4204,
  FailedToInitialize: 4205,
  BrokenEnvelope: 4300,
  UnknownType: 4301,
  InvalidBody: 4302,
  UnsupportedData: 4304,
  ResumeFailed: 4400,
  ResumeNotFound: 4401
} as const

/** Server-pushed event types (docs/protocol.md §7, server-pushed events). */
export const EventType = {
  Disconnect: 1,
  SubscriptionExpired: 2,
  AppDeleted: 100,
  AppPaused: 101,
  AppVersionChanged: 102,
  LicenseClientIDReset: 200,
  LicenseBlacklisted: 201,
  LicenseUnblacklisted: 202,
  LicenseReinitialized: 203,
  LicenseDeleted: 204,
  LicensePaused: 205,
  LicenseUnpaused: 206,
  AppUserBlacklisted: 300,
  AppUserUnblacklisted: 301,
  AppUserDeleted: 302
} as const

/** Events after which the server has dropped the session's authorization. */
export const AUTHORIZATION_DROPPING_EVENTS: ReadonlySet<number> = new Set([2, 201, 203, 204, 205, 300, 302])

/** Packet types (docs/protocol.md §7). */
export const PacketType = {
  Initialize: 0,
  CreateAccount: 1,
  AuthorizeByLicense: 2,
  AuthorizeByCredentials: 3,
  LinkLicense: 4,
  Logout: 5,
  Blacklist: 6,
  FileDownloadUrl: 7,
  StopFileTransfer: 8,
  FileMetadata: 9,
  OnlineUsersCount: 10,
  GetVariable: 11,
  SetValue: 12,
  GetValue: 13,
  DeleteValue: 14,
  GetCurrentLicense: 15,
  GetCurrentAccount: 16,
  PanelEventsSubscription: 17
} as const

export const PACKET_NAMES: Record<number, string> = {
  0: 'Initialize',
  1: 'Create account',
  2: 'Authorize by license',
  3: 'Authorize by credentials',
  4: 'Link license',
  5: 'Logout',
  6: 'Blacklist',
  7: 'Create file download URL',
  8: 'Stop file transfer',
  9: 'Get file metadata',
  10: 'Online users count',
  11: 'Get variable',
  12: 'Set value',
  13: 'Get value',
  14: 'Delete value',
  15: 'Get current license',
  16: 'Get current account',
  17: 'Panel events subscription'
}
