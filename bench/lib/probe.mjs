// Preloaded with `node --import` into every server under test (licensewire and both
// baselines), so the bench can ask each one the same questions the same way, over
// the IPC channel the orchestrator opened:
//   { probe: 'memory' } → process.memoryUsage() after a full garbage collection
//                         (the servers run with --expose-gc);
//   { probe: 'loop' }   → event-loop delay and GC pauses since the last 'loop' ask.
// Nothing here runs on a request path: one 10 ms timer and a GC observer.
import { constants, monitorEventLoopDelay, PerformanceObserver } from 'node:perf_hooks'

if (typeof process.send === 'function') {
  const loop = monitorEventLoopDelay({ resolution: 10 })
  loop.enable()
  let gc = { count: 0, totalMs: 0, maxMs: 0, major: 0 }
  new PerformanceObserver(list => {
    for (const entry of list.getEntries()) {
      gc.count++
      gc.totalMs += entry.duration
      if (entry.duration > gc.maxMs) gc.maxMs = entry.duration
      if (entry.detail?.kind === constants.NODE_PERFORMANCE_GC_MAJOR) gc.major++
    }
  }).observe({ entryTypes: ['gc'] })

  process.on('message', message => {
    if (message === null || typeof message !== 'object') return
    if (message.probe === 'memory') {
      const collect = globalThis.gc
      if (typeof collect === 'function') {
        collect()
        collect()
      }
      process.send({ probe: 'memory', ...process.memoryUsage() })
    } else if (message.probe === 'loop') {
      // Delays are reported beyond the 10 ms timer resolution itself.
      const ms = ns => Math.max(0, ns / 1e6 - 10)
      process.send({ probe: 'loop', delayP99: ms(loop.percentile(99)), delayMax: ms(loop.max), gc })
      loop.reset()
      gc = { count: 0, totalMs: 0, maxMs: 0, major: 0 }
    }
  })
  // Never keep the server alive for the sake of this channel …
  process.channel?.unref()
  // … and never outlive the orchestrator that started us.
  process.on('disconnect', () => process.exit(0))
}
