/** One Server-Sent Event. */
export interface SseEvent {
  event: string
  // The tests look into arbitrary JSON.
  // eslint-disable-next-line @typescript-eslint/no-explicit-any
  data: any
}

/** Reads a text/event-stream response with fetch, as the console does; `next` waits for one event. */
export class SseReader {
  private buffer = ''
  private readonly queue: SseEvent[] = []
  private waiter: ((e: SseEvent) => void) | undefined
  private readonly controller = new AbortController()
  response!: Response

  static async open (url: string, token: string): Promise<SseReader> {
    const reader = new SseReader()
    reader.response = await fetch(url, { headers: { authorization: `Bearer ${token}`, accept: 'text/event-stream' }, signal: reader.controller.signal })
    if (reader.response.ok && reader.response.body !== null) void reader.pump(reader.response.body)
    return reader
  }

  private async pump (body: ReadableStream<Uint8Array>): Promise<void> {
    const decoder = new TextDecoder()
    try {
      for await (const chunk of body) {
        this.buffer += decoder.decode(chunk, { stream: true })
        let cut
        while ((cut = this.buffer.indexOf('\n\n')) >= 0) {
          const block = this.buffer.slice(0, cut)
          this.buffer = this.buffer.slice(cut + 2)
          let event = 'message'
          let data = ''
          for (const line of block.split('\n')) {
            if (line.startsWith('event: ')) event = line.slice(7)
            else if (line.startsWith('data: ')) data += line.slice(6)
          }
          if (data === '') continue
          const parsed = { event, data: JSON.parse(data) }
          const waiter = this.waiter
          this.waiter = undefined
          if (waiter !== undefined) waiter(parsed)
          else this.queue.push(parsed)
        }
      }
    } catch {
      // aborted
    }
  }

  next (timeoutMs = 5000): Promise<SseEvent> {
    const queued = this.queue.shift()
    if (queued !== undefined) return Promise.resolve(queued)
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => { this.waiter = undefined; reject(new Error('no event within timeout')) }, timeoutMs)
      this.waiter = e => { clearTimeout(timer); resolve(e) }
    })
  }

  close (): void {
    this.controller.abort()
  }
}
