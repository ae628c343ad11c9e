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
  VariableNotFound: 400,
  VariableInvalidName: 401,
  ClientIDTooShort: 500,
  ClientIDTooLong: 501,
  ClientIDMismatch: 502,
  ClientIDBlacklisted: 503,
  AppNotFound: 600,
  AppPaused: 601,
  AppSessionsQuotaExceeded: 602,
  AppBlacklistsQuotaExceeded: 604,
  StoreValueNotFound: 700,
  StoreOutOfMemory: 701,
  StoreOutOfEntries: 702
} as const

export type StatusCode = typeof Status[keyof typeof Status]
