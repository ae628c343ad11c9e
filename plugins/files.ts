import { randomBytes } from 'node:crypto'
import fp from 'fastify-plugin'
import { FileUrls } from '../src/files/urls.js'
import type { ResolvedOptions } from '../src/options.js'

export interface LicensewireFiles {
  urls: FileUrls
  /**
   * How long a replaced or deleted version keeps its bytes, and how far ahead a long
   * download holds the version it reads: one URL lifetime.
   */
  holdMs: number
  /** Deletes the bytes no download can need any more; runs on a timer, and on demand. */
  sweep: () => Promise<number>
}

declare module 'fastify' {
  interface FastifyInstance {
    licensewireFiles: LicensewireFiles
  }
}

/** The URL signing key every instance shares, and the sweep of replaced file versions. */
export default fp<ResolvedOptions>(async function licensewireFiles (app, options) {
  const { files } = app.licensewireDb.repos
  const key = await files.secret('file-url-hmac', randomBytes(32))
  const holdMs = options.fileUrlTtlMs
  const sweep = (): Promise<number> => files.sweep(holdMs)
  const timer = setInterval(() => {
    sweep().catch(err => app.log.error({ err }, 'sweeping replaced file versions failed'))
  }, Math.max(1000, holdMs / 2))
  timer.unref()
  app.addHook('preClose', async () => { clearInterval(timer) })
  app.decorate('licensewireFiles', { urls: new FileUrls(key, options.fileUrlTtlMs, options.prefix), holdMs, sweep })
}, { name: 'licensewire-files', fastify: '5.x', dependencies: ['licensewire-database'] })
