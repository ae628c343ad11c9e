// Preloaded with `node --import` into every server under test (licensewire and both
// baselines), so the bench can ask each one the same question the same way: over the
// IPC channel the orchestrator opened, `{ probe: 'memory' }` answers
// process.memoryUsage() after a full garbage collection (the servers run with
// --expose-gc). Nothing here runs on a request path.
if (typeof process.send === 'function') {
  process.on('message', message => {
    if (message === null || typeof message !== 'object' || message.probe !== 'memory') return
    const gc = globalThis.gc
    if (typeof gc === 'function') {
      gc()
      gc()
    }
    const usage = process.memoryUsage()
    process.send({ probe: 'memory', ...usage })
  })
  // Never keep the server alive for the sake of this channel …
  process.channel?.unref()
  // … and never outlive the orchestrator that started us.
  process.on('disconnect', () => process.exit(0))
}
