/**
 * The one place answers and pushed events become JSON text. A leaf module: it imports
 * nothing of the protocol or the session, so both can use it.
 */

/**
 * An answer without its `id`: `body` is the JSON text after `{"id":…,`, ending in
 * `"status":N}`. Written once when the answer is built, so a constant answer (say,
 * NotAuthorized) is serialized once per process, not once per packet.
 */
export interface Reply {
  readonly status: number
  readonly body: string
}

/** `fields` in the order they are listed, then `status` last (as in the seed's example). */
export function reply (status: number, fields?: object): Reply {
  if (fields === undefined) return { status, body: `"status":${status}}` }
  const text = JSON.stringify(fields)
  return { status, body: text.length === 2 ? `"status":${status}}` : `${text.slice(1, -1)},"status":${status}}` }
}

/**
 * An answer whose fields are already JSON text (`"a":1,"b":2`, no braces), for the
 * answers sent most, where building and stringifying an object per packet showed
 * in profiles.
 */
export function replyFromText (status: number, fieldsText: string): Reply {
  return { status, body: fieldsText === '' ? `"status":${status}}` : `${fieldsText},"status":${status}}` }
}

const ID_PREFIX = '{"id":'

/** The frame sent for an answer. */
export function encodeReply (id: number, answer: Reply): string {
  return `${ID_PREFIX}${id},${answer.body}`
}

/** The id of a frame `encodeReply` wrote. */
export function replyIdOf (frame: string): number {
  return Number(frame.slice(ID_PREFIX.length, frame.indexOf(',', ID_PREFIX.length)))
}

/** The id of every server-pushed event frame, written as that exact integer literal. */
const EVENT_PREFIX = '{"id":18446744073709551615,"event_type":'

/** The frame of a server-pushed panel event. */
export function encodeEvent (eventType: number, content: object): string {
  return `${EVENT_PREFIX}${eventType},"content":${JSON.stringify(content)}}`
}
