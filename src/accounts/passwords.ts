import { randomBytes } from 'node:crypto'
import { hash, verify } from '@node-rs/argon2'

/**
 * argon2id at OWASP's first recommended setting: 19 MiB of memory, 2 passes, one
 * lane. The algorithm is given as its number: the package declares it as a const
 * enum, which TypeScript cannot inline across modules here.
 */
const ARGON2ID = 2
export const HASH_OPTIONS = { algorithm: ARGON2ID, memoryCost: 19456, timeCost: 2, parallelism: 1 } as const

/** All of this instance's hashing slots are taken and the queue is full: answer 6. */
export class PasswordsBusy extends Error {
  constructor () {
    super('password hashing queue is full')
  }
}

/**
 * Password hashing and checking for one instance. argon2 runs on libuv's thread
 * pool, never on the event loop; at most `concurrency` run at once, so a storm of
 * logins leaves CPU to every other session, and at most `queue` more wait, so the
 * storm cannot grow memory or latency without bound. Passwords and hashes are never
 * logged or thrown.
 */
export class Passwords {
  private running = 0
  private readonly waiting: (() => void)[] = []
  private dummy: Promise<string> | undefined

  constructor (private readonly concurrency: number, private readonly queue: number) {}

  async hash (password: string): Promise<string> {
    return this.limited(() => hash(password, HASH_OPTIONS))
  }

  /**
   * Whether the password matches. With no stored hash (unknown login) it checks
   * against a dummy hash of the same cost, so an unknown login and a wrong
   * password take the same time.
   */
  async verify (stored: string | undefined, password: string): Promise<boolean> {
    const target = stored ?? await this.dummyHash()
    const matches = await this.limited(() => verify(target, password))
    return stored !== undefined && matches
  }

  /** Hashes running and waiting, for tests and metrics. */
  get load (): { running: number, waiting: number } {
    return { running: this.running, waiting: this.waiting.length }
  }

  private dummyHash (): Promise<string> {
    // Made on first use, then kept; a failed attempt (a full queue) is not kept.
    this.dummy ??= this.limited(() => hash(randomBytes(32).toString('base64'), HASH_OPTIONS))
      .catch(err => { this.dummy = undefined; throw err })
    return this.dummy
  }

  private async limited<T> (work: () => Promise<T>): Promise<T> {
    if (this.running >= this.concurrency) {
      if (this.waiting.length >= this.queue) throw new PasswordsBusy()
      // The slot is handed over by the one finishing, so `running` never drops in between.
      await new Promise<void>(resolve => this.waiting.push(resolve))
    } else {
      this.running++
    }
    try {
      return await work()
    } finally {
      const next = this.waiting.shift()
      if (next !== undefined) next()
      else this.running--
    }
  }
}
