// A server's own memory, measured in the server process after a forced garbage collection
// (node --expose-gc): resident set size, JS heap in use, and memory outside the heap that V8
// is told about (`external`: Buffers' and ArrayBuffers' contents, node:zlib's native state;
// `arrayBuffers` is the part of it held by ArrayBuffers and Buffers).
import type { ChildProcess } from 'node:child_process'
import { request } from './child-request.js'

/**
 * Memory is one measurement of a process, in bytes (process.memoryUsage() after GC), with the
 * CPU time it had used (user + system, µs) and when (µs on its own clock), both taken just
 * before the collections: two measurements give its CPU share in between.
 */
export interface Memory { rss: number; heapUsed: number; external: number; arrayBuffers: number; cpuMicros: number; atMicros: number }

/** memoryAfterGc collects garbage until the heap stops shrinking (at most 4 full collections, a turn of the event loop apart) and measures. */
export async function memoryAfterGc(): Promise<Memory> {
  const gc = (globalThis as { gc?: () => void }).gc
  if (gc === undefined) throw new Error('run the server with node --expose-gc')
  const cpu = process.cpuUsage()
  const atMicros = performance.now() * 1000
  let last = Infinity
  for (let i = 0; i < 4; i++) {
    gc()
    await new Promise((resolve) => setImmediate(resolve))
    const used = process.memoryUsage().heapUsed
    if (used >= last) break
    last = used
  }
  const { rss, heapUsed, external, arrayBuffers } = process.memoryUsage()
  return { rss, heapUsed, external, arrayBuffers, cpuMicros: cpu.user + cpu.system, atMicros }
}

/** reportMemory sends the parent this server's `port`, then answers each 'memory' message with {@link memoryAfterGc}. It exits when the parent goes. */
export function reportMemory(port: number): void {
  process.on('message', (message) => {
    if (message === 'memory') memoryAfterGc().then((memory) => process.send!(memory), (error) => { throw error })
  })
  process.on('disconnect', () => process.exit(0))
  process.send!({ port })
}

/** serverMemory asks the server `child` (see reportMemory) for its memory after GC. */
export function serverMemory(child: ChildProcess): Promise<Memory> {
  return request<Memory>(child, 'memory')
}
