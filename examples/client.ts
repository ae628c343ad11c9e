/**
 * Example licensewire client, on the SDK (`licensewire/client`, src/client/):
 * Initialize → Authorize by license → Get current license.
 *
 *   npm run client -- --api-key KEY --license LICENSE [--client-id ID] [--url ws://127.0.0.1:3000/ws] [--stay]
 *
 * Each response is printed on stdout as the JSON the server sent (the client's `frame`
 * event); progress and errors go to stderr. With --stay the session stays open, subscribed to panel events, and
 * reconnects (resuming the session) after drops until Ctrl-C.
 * Exit codes: 0 every status was 1 (Ok); 1 some request had another status; 2 the
 * connection failed, the server closed it, or no answer came within 10 s; 64 bad
 * command line.
 */
import { parseArgs } from 'node:util'
// In an application: import { … } from 'licensewire/client'
import { ClosedError, InvalidArgumentError, LicenseClient, StatusError, TimeoutError } from '../src/client/index.js'

const USAGE = `usage: npm run client -- --api-key KEY [--license LICENSE] [--client-id ID] [--url URL] [--stay]

  --api-key KEY      the app's websocket_api_key (21 characters)             (required)
  --license LICENSE  a license key to authorize with; without it, only Initialize runs
  --client-id ID     this device's id, 4-64 characters       (default: example-device-1)
  --url URL          the server's WebSocket route      (default: ws://127.0.0.1:3000/ws)
  --stay             stay connected: print panel events and reconnections until Ctrl-C
  -h, --help         show this message`

async function run (url: string, apiKey: string, clientId: string, license: string | undefined, stay: boolean): Promise<number> {
  const client = new LicenseClient({ url, apiKey, clientId, requestTimeoutMs: 10_000 })
  client.on('reconnecting', e => console.error(`connection lost (${e.code}${e.reason === '' ? '' : ` ${e.reason}`}); reconnecting in ${e.delayMs} ms (attempt ${e.attempt})`))
  client.on('resumed', () => console.error('reconnected: session resumed'))
  client.on('restarted', e => console.error(`reconnected: new session${e.authorization !== undefined ? ', authorized again' : ''}${e.error !== undefined ? `, authorization refused: ${e.error.message}` : ''}`))
  client.on('panelEvent', e => console.error(`event ${e.event_type}: ${JSON.stringify(e.content)}`))
  // The SDK resolves an Ok with the response's fields; this example shows the wire itself.
  client.on('frame', f => { if (f.direction === 'in' && !f.text.includes('"event_type"')) console.log(f.text) })

  console.error(`connecting to ${url} as client_id "${clientId}"`)
  try {
    const app = await client.connect()
    console.error(`← Initialize: Ok (${app.app_name} ${app.app_version})`)
    if (license !== undefined) {
      console.error('→ Authorize by license (type 2)')
      await client.authorizeByLicense(license)
      console.error('→ Get current license (type 15)')
      const current = await client.getCurrentLicense()
      console.error(`← Get current license: Ok (levels ${JSON.stringify(current.levels)}, ${current.time_left ?? '?'} s left)`)
    }
    if (!stay) return 0
    await client.subscribePanelEvents()
    console.error('staying connected; Ctrl-C to quit')
    return await new Promise<number>(resolve => {
      client.on('close', e => {
        console.error(`the server closed the connection: ${e.code}${e.reason === '' ? '' : ` "${e.reason}"`}`)
        resolve(2)
      })
      process.once('SIGINT', () => resolve(0))
    })
  } catch (err) {
    if (err instanceof StatusError) {
      console.error(`← status ${err.status} (${err.statusName})`)
      return 1
    }
    if (err instanceof ClosedError || err instanceof TimeoutError) {
      console.error(`error: ${err.message}`)
      return 2
    }
    if (err instanceof InvalidArgumentError) {
      console.error(`error: ${err.message}`)
      return 64
    }
    throw err
  } finally {
    await client.close()
  }
}

async function main (): Promise<number> {
  let values
  try {
    ({ values } = parseArgs({
      options: {
        url: { type: 'string', default: 'ws://127.0.0.1:3000/ws' },
        'api-key': { type: 'string' },
        'client-id': { type: 'string', default: 'example-device-1' },
        license: { type: 'string' },
        stay: { type: 'boolean', default: false },
        help: { type: 'boolean', short: 'h', default: false }
      },
      strict: true,
      allowPositionals: false
    }))
  } catch (err) {
    console.error(`${err instanceof Error ? err.message : String(err)}\n\n${USAGE}`)
    return 64
  }
  if (values.help) {
    console.log(USAGE)
    return 0
  }
  const apiKey = values['api-key']
  if (apiKey === undefined || apiKey === '') {
    console.error(`missing --api-key\n\n${USAGE}`)
    return 64
  }
  try {
    return await run(values.url, apiKey, values['client-id'], values.license, values.stay)
  } catch (err) {
    // The constructor's argument checks (a client_id of 3 characters, …).
    if (err instanceof InvalidArgumentError) {
      console.error(`error: ${err.message}\n\n${USAGE}`)
      return 64
    }
    console.error(err)
    return 2
  }
}

main().then(code => process.exit(code), err => {
  console.error(err)
  process.exit(2)
})
