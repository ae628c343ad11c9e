import type { AccountInfo, AppInfo, LicenseInfo } from './client.js'
import type { StatusError } from './errors.js'

/** A server-pushed event (docs/protocol.md, server-pushed events). */
export interface PanelEvent {
  event_type: number
  /** `{}` except for event 102: `{ version }`. */
  content: Record<string, unknown>
}

export interface CloseEvent {
  code: number
  reason: string
  /** Why the client gave up, when it was not the server's close itself. */
  error?: unknown
}

export interface ReconnectingEvent {
  /** 1 for the first attempt after a drop. */
  attempt: number
  /** How long the client waits before this attempt. */
  delayMs: number
  /** The close code of the drop (or of the last failed attempt). */
  code: number
  reason: string
}

export interface RestartedEvent {
  /** The new session's Initialize answer. */
  app: AppInfo
  /** The answer of the transparent re-authorization, when there was one to make. */
  authorization?: LicenseInfo | AccountInfo
  /** The re-authorization was refused (the session is initialized but not authorized). */
  error?: StatusError
}

/** A text frame as it went over the wire (for logging and debugging). */
export interface FrameEvent {
  direction: 'in' | 'out'
  text: string
}

export interface ClientEvents {
  panelEvent: (event: PanelEvent) => void
  close: (event: CloseEvent) => void
  reconnecting: (event: ReconnectingEvent) => void
  resumed: (event: { attempt: number }) => void
  restarted: (event: RestartedEvent) => void
  frame: (event: FrameEvent) => void
}

/** A minimal typed emitter (no node:events, so browsers need nothing). */
export class Emitter<Events extends { [K in keyof Events]: (event: never) => void }> {
  private readonly listeners = new Map<keyof Events, Set<Events[keyof Events]>>()

  on<E extends keyof Events> (event: E, listener: Events[E]): void {
    let set = this.listeners.get(event)
    if (set === undefined) this.listeners.set(event, set = new Set())
    set.add(listener)
  }

  off<E extends keyof Events> (event: E, listener: Events[E]): void {
    this.listeners.get(event)?.delete(listener)
  }

  emit<E extends keyof Events> (event: E, payload: Parameters<Events[E]>[0]): void {
    for (const listener of [...this.listeners.get(event) ?? []]) {
      try {
        (listener as (event: Parameters<Events[E]>[0]) => void)(payload)
      } catch (err) {
        // A listener's exception must not break the client's state machine.
        queueMicrotask(() => { throw err })
      }
    }
  }
}
