import { Close, type CloseSpec } from '../protocol/close-codes.js'
import { AccountEvent, LicenseEvent, type AppEvent } from '../events.js'
import type { SessionState } from './state.js'

/** Panel event codes of docs/protocol.md §7 beyond the license ones. */
export const PanelEvent = {
  Disconnect: 1,
  SubscriptionExpired: 2,
  AppDeleted: 100,
  AppPaused: 101,
  AppVersionChanged: 102
} as const

/** What a session must do about one live event. */
export interface Effect {
  /** Panel event to push (subscribed sessions only); none for a blacklisted client_id. */
  event?: { type: number, content: object }
  close?: CloseSpec
  /** Drop the authorization and give its quota slot back. */
  dropAuthorization?: boolean
  /** Re-read the account's coverage: lapsed while it requires a license → event 2, authorization dropped. */
  checkCoverage?: boolean
}

/** License events after which the session no longer holds the license. */
const DROPS = new Set<number>([LicenseEvent.Blacklisted, LicenseEvent.Reinitialized, LicenseEvent.Deleted, LicenseEvent.Paused])

/** What an event means for one session (the event table of docs/protocol.md §7); undefined when it is not touched. */
export function effectOn (event: AppEvent, session: SessionState): Effect | undefined {
  if (session.app?.id !== event.appId) return undefined
  switch (event.type) {
    case 'app_paused':
      return { event: { type: PanelEvent.AppPaused, content: {} }, close: Close.AppPaused }
    case 'app_deleted':
      return { event: { type: PanelEvent.AppDeleted, content: {} }, close: Close.AppDeleted }
    case 'app_version_changed':
      return { event: { type: PanelEvent.AppVersionChanged, content: { version: event.version } } }
    case 'app_signed_leases_changed':
      // No panel event: the next answer simply carries a lease, or none.
      return {}
    case 'session_disconnected':
      return session.id === event.sessionId ? { event: { type: PanelEvent.Disconnect, content: {} }, close: Close.DisconnectedFromPanel } : undefined
    case 'client_blacklisted':
      return session.clientId === event.clientId ? { close: Close.ClientIdBlacklisted } : undefined
    case 'license_changed': {
      const auth = session.authorization
      if (auth?.kind !== 'license' || auth.licenseId !== event.licenseId) return undefined
      return { event: { type: event.event, content: {} }, dropAuthorization: DROPS.has(event.event) }
    }
    case 'account_changed':
      if (!holdsAccount(session, event.accountId)) return undefined
      return { event: { type: event.event, content: {} }, dropAuthorization: event.event !== AccountEvent.Unblacklisted }
    case 'coverage_changed':
      return holdsAccount(session, event.accountId) ? { checkCoverage: true } : undefined
  }
}

function holdsAccount (session: SessionState, accountId: number): boolean {
  const auth = session.authorization
  return auth?.kind === 'account' && auth.accountId === accountId
}
