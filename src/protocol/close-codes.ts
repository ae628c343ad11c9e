/** Close codes with their exact reason texts (docs/protocol.md §5). */
export interface CloseSpec {
  code: number
  reason: string
}

const close = (code: number, reason: string): CloseSpec => ({ code, reason })

export const Close = {
  Normal: close(1000, ''),
  GoingAway: close(1001, 'server going away'),
  PolicyViolation: close(1008, 'policy violation'),
  TooBig: close(1009, 'frame too big'),
  Internal: close(4000, 'internal server error'),
  DisconnectedFromPanel: close(4100, 'disconnected from panel'),
  AppPaused: close(4101, 'application paused'),
  AppDeleted: close(4102, 'application deleted'),
  NotInitialized: close(4200, 'connection is not initialized'),
  RateLimitHit: close(4201, 'rate limit hit'),
  SessionBlacklisted: close(4203, 'session was blacklisted'),
  ClientIdBlacklisted: close(4204, 'external ID is blacklisted'),
  FailedToInitialize: close(4205, 'failed to initialize session'),
  BrokenEnvelope: close(4300, "packet does not contain mandatory 'type' and/or 'id' fields"),
  UnknownType: close(4301, 'invalid handler type specified'),
  InvalidBody: close(4302, 'invalid request body'),
  UnsupportedData: close(4304, 'received unsupported data'),
  ResumeFailed: close(4400, 'failed to resume session'),
  ResumeNotFound: close(4401, 'resume ID was not found or it is expired')
} as const

export function rateLimitedFor (seconds: number): CloseSpec {
  return close(4201, `rate limited, ${Math.max(1, Math.ceil(seconds))} seconds left`)
}

export function initDeadline (timeoutMs: number): CloseSpec {
  return close(4202, `session wasn't initialized in ${timeoutMs / 1000} seconds after connection`)
}
