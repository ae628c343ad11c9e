import { createServer, type Server } from 'node:http'

/** The HTTP server both baselines hang their WebSocket server on: only /healthz. */
export function healthServer (): Server {
  return createServer((req, res) => {
    res.writeHead(req.url === '/healthz' ? 200 : 404, { 'content-type': 'application/json' })
    res.end(req.url === '/healthz' ? '{"status":"ok"}' : '{"status":"not found"}')
  })
}

/** Listens on PORT / HOST and exits on SIGTERM / SIGINT (the bench stops us that way). */
export function listen (server: Server, name: string): void {
  const port = Number(process.env.PORT ?? 3000)
  const host = process.env.HOST ?? '127.0.0.1'
  server.listen({ port, host }, () => {
    process.stdout.write(`${name} listening on ${host}:${port}\n`)
  })
  for (const signal of ['SIGTERM', 'SIGINT'] as const) process.once(signal, () => process.exit(0))
}
