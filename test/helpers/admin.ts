import type { LiveEvent } from '../../src/events.js'
import type { TestServer } from './server.js'

export const TOKEN = 'admin-token-for-tests-0001'

export interface Answer {
  status: number
  // The tests look into arbitrary JSON.
  // eslint-disable-next-line @typescript-eslint/no-explicit-any
  body: any
  headers: Headers
}

/** Real HTTP against the listening server; `path` is under /admin/v1 unless it starts with /admin/. */
export async function call (server: TestServer, method: string, path: string, body?: unknown, token: string | null = TOKEN): Promise<Answer> {
  const headers: Record<string, string> = {}
  if (token !== null) headers.authorization = `Bearer ${token}`
  if (body !== undefined) headers['content-type'] = 'application/json'
  const url = server.url + (path.startsWith('/admin/') ? path : `/admin/v1${path}`)
  const res = await fetch(url, { method, headers, body: body === undefined ? undefined : JSON.stringify(body) })
  const text = await res.text()
  return { status: res.status, body: text === '' ? undefined : JSON.parse(text), headers: res.headers }
}

/** Records every live event the admin API publishes, still passing it on to the bus. */
export function recordEvents (server: TestServer): LiveEvent[] {
  const bus = server.app.licensewireEvents
  const publish = bus.publish.bind(bus)
  const events: LiveEvent[] = []
  bus.publish = async event => {
    events.push(event)
    await publish(event)
  }
  return events
}

export const ISO = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}\.\d{3}Z$/
