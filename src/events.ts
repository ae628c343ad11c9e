/**
 * Changes made through the management API that live sessions must react to, on
 * every instance (docs/protocol.md §7, event table). They travel as JSON.
 */
export type LiveEvent =
  | AppEvent
  | { type: 'signing_keys_changed' }
  /**
   * A client resumes on another instance a session whose socket `instanceId` still holds
   * (the drop not noticed yet): that instance cuts the socket, so the session suspends.
   */
  | { type: 'session_handover', instanceId: string, sessionId: string }

/** The events that touch the live sessions of one app. */
export type AppEvent =
  | { type: 'app_paused', appId: number }
  | { type: 'app_deleted', appId: number }
  | { type: 'app_version_changed', appId: number, version: string }
  | { type: 'app_signed_leases_changed', appId: number, signedLeases: boolean }
  | { type: 'session_disconnected', appId: number, sessionId: string }
  | { type: 'client_blacklisted', appId: number, clientId: string }
  | { type: 'license_changed', appId: number, licenseId: number, event: LicenseEventCode }
  | { type: 'account_changed', appId: number, accountId: number, event: AccountEventCode }
  /** A license linked to the account changed, or its requires_license did: its sessions re-read their coverage. */
  | { type: 'coverage_changed', appId: number, accountId: number }

/** Panel event codes of license changes (docs/protocol.md §7). */
export const LicenseEvent = {
  ClientIdReset: 200,
  Blacklisted: 201,
  Unblacklisted: 202,
  Reinitialized: 203,
  Deleted: 204,
  Paused: 205,
  Unpaused: 206
} as const
export type LicenseEventCode = typeof LicenseEvent[keyof typeof LicenseEvent]

/** Panel event codes of account changes (docs/protocol.md §7). */
export const AccountEvent = {
  Blacklisted: 300,
  Unblacklisted: 301,
  Deleted: 302
} as const
export type AccountEventCode = typeof AccountEvent[keyof typeof AccountEvent]

/** What an instance hears from the bus. */
export interface BusListener {
  /** An admin change for live sessions. */
  event: (event: LiveEvent) => void
  /** A license row changed (any writer); cached license state of it is stale. */
  licenseChanged: (licenseId: number) => void
  /** Delivery is live from now on: nothing is missed until `down`. */
  up: () => void
  /** Delivery stopped; whatever happens until the next `up` is missed. */
  down: () => void
}

export interface EventBus {
  /** Delivers the event to every instance, this one included. */
  publish: (event: LiveEvent) => Promise<void>
  subscribe: (listener: BusListener) => void
  close: () => Promise<void>
}
