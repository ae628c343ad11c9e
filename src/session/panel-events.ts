import { Close, type CloseSpec } from '../protocol/close-codes.js'
import { LicenseEvent, type LiveEvent } from '../events.js'
import type { Session } from './session.js'

/** Panel event codes of docs/protocol.md §7 beyond the license ones. */
export const PanelEvent = {
  Disconnect: 1,
  SubscriptionExpired: 2,
  AppDeleted: 100,
  AppPaused: 101,
  AppVersionChanged: 102
} as const

/** What one session must do about one live event. */
export interface Effect {
  session: Session
  /** Panel event to push (subscribed sessions only); none for a blacklisted client_id. */
  event?: { type: number, content: object }
  close?: CloseSpec
  /** Drop the authorization and give its quota slot back. */
  dropAuthorization?: boolean
}

/** License events after which the session no longer holds the license. */
const DROPS = new Set<number>([LicenseEvent.Blacklisted, LicenseEvent.Reinitialized, LicenseEvent.Deleted, LicenseEvent.Paused])

/** The sessions an event touches and what happens to each (the event table of docs/protocol.md §7). */
export function effectsOf (event: LiveEvent, sessions: Iterable<Session>): Effect[] {
  const effects: Effect[] = []
  for (const session of sessions) {
    if (session.appId !== event.appId) continue
    switch (event.type) {
      case 'app_paused':
        effects.push({ session, event: { type: PanelEvent.AppPaused, content: {} }, close: Close.AppPaused })
        break
      case 'app_deleted':
        effects.push({ session, event: { type: PanelEvent.AppDeleted, content: {} }, close: Close.AppDeleted })
        break
      case 'app_version_changed':
        effects.push({ session, event: { type: PanelEvent.AppVersionChanged, content: { version: event.version } } })
        break
      case 'session_disconnected':
        if (session.id === event.sessionId) effects.push({ session, event: { type: PanelEvent.Disconnect, content: {} }, close: Close.DisconnectedFromPanel })
        break
      case 'client_blacklisted':
        if (session.clientId === event.clientId) effects.push({ session, close: Close.ClientIdBlacklisted })
        break
      case 'license_changed':
        if (session.authorization?.licenseId === event.licenseId) {
          effects.push({ session, event: { type: event.event, content: {} }, dropAuthorization: DROPS.has(event.event) })
        }
        break
    }
  }
  return effects
}
