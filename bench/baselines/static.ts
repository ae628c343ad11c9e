/**
 * Baseline (c): the same bytes licensewire serves from Postgres, served from disk by
 * Fastify with @fastify/static (FILES_DIR), for the download scenario.
 */
import Fastify from 'fastify'
import fastifyStatic from '@fastify/static'

const app = Fastify({ logger: false })
await app.register(fastifyStatic, { root: process.env.FILES_DIR ?? process.cwd() })
app.get('/healthz', async () => ({ status: 'ok' }))

const port = Number(process.env.PORT ?? 3000)
const host = process.env.HOST ?? '127.0.0.1'
await app.listen({ port, host })
process.stdout.write(`static listening on ${host}:${port}\n`)
for (const signal of ['SIGTERM', 'SIGINT'] as const) process.once(signal, () => process.exit(0))
