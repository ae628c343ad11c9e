import type { SuiteContext, TestContext } from 'node:test'

/**
 * What node:test hands a test or a hook. A test's `t` and the `t` of a top-level
 * `before` (whose cleanups run after the file's last test) are TestContexts; a
 * `describe`'s hooks get a SuiteContext, which has no `after`.
 */
export type TestScope = TestContext | SuiteContext

const stacks = new WeakMap<TestContext, (() => Promise<void>)[]>()

/**
 * Runs `cleanup` when `t` ends, before the cleanups registered through here earlier
 * (a server closes before the database it uses stops): node:test runs `t.after`
 * hooks in the order they were added, teardown wants the reverse. Every cleanup
 * runs even when one fails; the first failure is reported.
 */
export function onEnd (t: TestScope, cleanup: () => Promise<void>): void {
  if (!('after' in t)) throw new Error('no t.after here: start shared resources in a top-level before(), or in the test')
  let stack = stacks.get(t)
  if (stack === undefined) {
    const own: (() => Promise<void>)[] = []
    stacks.set(t, own)
    t.after(async () => {
      const failures: unknown[] = []
      for (let next = own.pop(); next !== undefined; next = own.pop()) {
        await next().catch((err: unknown) => { failures.push(err) })
      }
      if (failures.length > 0) throw failures[0]
    })
    stack = own
  }
  stack.push(cleanup)
}
