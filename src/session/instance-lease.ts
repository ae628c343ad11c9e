import type { FastifyBaseLogger } from 'fastify'
import type { InstancesRepository } from '../repositories/instances.js'

/**
 * This instance's row in `instances` and its lease. The lease is renewed every third
 * of SESSION_LEASE_MS and set to last two thirds of it, and every instance sweeps at
 * the same pace: a dead instance's sessions are gone within SESSION_LEASE_MS of its
 * last renewal, with a third of it as margin for a slow renewal.
 */
export class InstanceLease {
  private timer: NodeJS.Timeout | undefined
  private retired = false

  constructor (
    private readonly instances: InstancesRepository,
    private readonly instanceId: string,
    private readonly sessionLeaseMs: number,
    private readonly log: FastifyBaseLogger,
    /** The lease lapsed and a peer swept this instance's sessions: they hold no slots any more. */
    private readonly lost: () => void,
    /** After each renewal: this instance's own housekeeping at the same pace. */
    private readonly renewed: () => Promise<void>
  ) {}

  private get intervalMs (): number {
    return Math.max(100, Math.floor(this.sessionLeaseMs / 3))
  }

  private get ttlMs (): number {
    return this.sessionLeaseMs - this.intervalMs
  }

  /** Whether this instance gave up its sessions (drained): nothing more to release. */
  get isRetired (): boolean {
    return this.retired
  }

  async start (): Promise<void> {
    await this.instances.register(this.instanceId, this.ttlMs)
    await this.instances.sweep()
    this.timer = setInterval(() => { void this.renew() }, this.intervalMs).unref()
  }

  private async renew (): Promise<void> {
    try {
      if (!(await this.instances.renew(this.instanceId, this.ttlMs)) && !this.retired) {
        this.log.error('instance lease lost; closing its sessions')
        // Start clean under the same id.
        await this.instances.register(this.instanceId, this.ttlMs)
        this.lost()
      }
      await this.instances.sweep()
      await this.renewed()
    } catch (err) {
      this.log.error({ err }, 'instance lease renewal failed')
    }
  }

  /** Graceful shutdown: this instance's sessions and slots go at once. */
  async retire (): Promise<void> {
    this.stop()
    this.retired = true
    try {
      await this.instances.retire(this.instanceId)
    } catch (err) {
      this.log.error({ err }, 'could not release this instance\'s sessions; they expire with its lease')
    }
  }

  stop (): void {
    clearInterval(this.timer)
  }
}
