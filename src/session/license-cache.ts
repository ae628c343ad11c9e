import type { LicenseState } from '../repositories/licenses.js'

/**
 * License state as packet 15 reads it, kept only while every change to a license
 * row is heard (the licenses trigger, through the event bus): a change drops the
 * entry, a gap in hearing drops them all and stops caching until hearing resumes.
 * A load that overlapped any change is used once but not kept, so a stale read
 * never outlives the notification that made it stale.
 */
export class LicenseCache {
  private readonly entries = new Map<number, LicenseState>()
  private generation = 0
  private hearing = false

  constructor (private readonly load: (licenseId: number) => Promise<LicenseState | undefined>) {}

  /** The cached state, or undefined: then call `fetch`. */
  peek (licenseId: number): LicenseState | undefined {
    return this.entries.get(licenseId)
  }

  async fetch (licenseId: number): Promise<LicenseState | undefined> {
    const generation = this.generation
    const state = await this.load(licenseId)
    if (state !== undefined && this.hearing && generation === this.generation) this.entries.set(licenseId, state)
    return state
  }

  changed (licenseId: number): void {
    this.generation++
    this.entries.delete(licenseId)
  }

  /** No session here holds it any more. */
  forget (licenseId: number): void {
    this.entries.delete(licenseId)
  }

  up (): void {
    this.generation++
    this.hearing = true
  }

  down (): void {
    this.generation++
    this.hearing = false
    this.entries.clear()
  }
}
