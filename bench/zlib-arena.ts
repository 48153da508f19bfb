// Why memory does not come back after connections with context takeover close (issue 14):
// glibc returns freed memory to the system from the top of an arena only, and node:zlib
// allocates a stream's state (about 220 KiB for a compressor at 15 bits, in 64 KiB blocks, under
// glibc's 128 KiB mmap threshold) in the thread that first writes to it. ws-flate's zlib engine
// writes synchronously, on the main thread: the blocks land in the main arena among
// long-lived allocations and stay there once freed. ws writes asynchronously: the first write
// runs on libuv's threadpool, whose threads have arenas of their own, which glibc can shrink.
// Here, in a fresh process per mode, 3,000 compressors are made, each fed one message (first
// write synchronous, or asynchronous), with a small long-lived buffer made after each, then all
// closed: RSS before, at the peak and after close and GC, per C allocator setting. The third
// mode is ws-flate's PerMessageDeflate with context takeover on the zlib engine, which makes
// its compressor off the main thread: two messages each, the second once it is ready.
//
//   pnpm --filter bench run zlib-arena
import { execFileSync } from 'node:child_process'
import { existsSync } from 'node:fs'
import { fileURLToPath } from 'node:url'
import * as zlib from 'node:zlib'
import { PerMessageDeflate } from '@ws-toolkit/ws-flate'
import { zlibEngine } from '@ws-toolkit/ws-flate/zlib'
import { table, writeResult } from './lib/measure.js'

const count = 3000
type Mode = 'sync' | 'async' | 'PerMessageDeflate'
interface Result { mode: Mode; malloc: string; before: number; peak: number; after: number }

/** ZlibHandle is the binding under a node:zlib stream, as ws-flate's zlib engine drives it. */
interface ZlibHandle { writeSync(flush: number, input: Uint8Array, inOffset: number, inLength: number, output: Uint8Array, outOffset: number, outLength: number): void }

const mib = () => process.memoryUsage().rss / 2 ** 20

async function measureHere(mode: Mode): Promise<Omit<Result, 'mode' | 'malloc'>> {
  const before = mib()
  const message = Buffer.from(JSON.stringify({ kind: 'update', seq: 1, rows: [1, 2, 3, 'EURUSD', 1.0842] }).repeat(3))
  const out = Buffer.alloc(1024)
  const streams: zlib.DeflateRaw[] = []
  const kept: Buffer[] = []
  if (mode === 'PerMessageDeflate') {
    const takeover = { serverNoContextTakeover: false, clientNoContextTakeover: false, serverMaxWindowBits: 15, clientMaxWindowBits: 15 }
    const connections = Array.from({ length: count }, () => new PerMessageDeflate(takeover, 'server', { engine: zlibEngine }))
    for (const connection of connections) {
      connection.deflater.compress(message)
      kept.push(Buffer.allocUnsafeSlow(200))
    }
    await new Promise((resolve) => setTimeout(resolve, 500)) // the compressors are made on the threadpool meanwhile
    for (const connection of connections) connection.deflater.compress(message)
    const peak = mib()
    for (const connection of connections) connection.close()
    await new Promise((resolve) => setTimeout(resolve, 1000))
    ;(globalThis as { gc?: () => void }).gc?.()
    await new Promise((resolve) => setTimeout(resolve, 1000))
    return { before, peak, after: mib() }
  }
  for (let i = 0; i < count; i++) {
    const stream = zlib.createDeflateRaw({ windowBits: 15, memLevel: 8 })
    stream.on('data', () => {})
    streams.push(stream)
    if (mode === 'sync') (stream as unknown as { _handle: ZlibHandle })._handle.writeSync(zlib.constants.Z_SYNC_FLUSH, message, 0, message.length, out, 0, out.length)
    else await new Promise<void>((resolve) => { stream.write(message); stream.flush(zlib.constants.Z_SYNC_FLUSH, () => resolve()) })
    kept.push(Buffer.allocUnsafeSlow(200)) // a connection's small long-lived allocations
  }
  const peak = mib()
  for (const stream of streams) stream.close()
  streams.length = 0
  await new Promise((resolve) => setTimeout(resolve, 1000))
  ;(globalThis as { gc?: () => void }).gc?.()
  await new Promise((resolve) => setTimeout(resolve, 1000))
  return { before, peak, after: mib() }
}

const jemalloc = '/usr/lib/x86_64-linux-gnu/libjemalloc.so.2'
const mallocs: Record<string, NodeJS.ProcessEnv> = {
  glibc: {},
  'glibc MALLOC_MMAP_THRESHOLD_=65536': { MALLOC_MMAP_THRESHOLD_: '65536' },
  ...(existsSync(jemalloc) ? { 'jemalloc (background purge, 1 s)': { LD_PRELOAD: jemalloc, MALLOC_CONF: 'background_thread:true,dirty_decay_ms:1000,muzzy_decay_ms:0' } } : {}),
}

if (process.argv[2] === '--child') {
  process.stdout.write(JSON.stringify(await measureHere(process.argv[3] as Mode)))
} else {
  const self = fileURLToPath(import.meta.url)
  const rows: Result[] = []
  for (const [malloc, env] of Object.entries(mallocs)) {
    for (const mode of ['sync', 'async', 'PerMessageDeflate'] as Mode[]) {
      const out = execFileSync(process.execPath, ['--expose-gc', '--import', 'tsx', self, '--child', mode], { encoding: 'utf8', env: { ...process.env, ...env } })
      rows.push({ mode, malloc, ...(JSON.parse(out) as Omit<Result, 'mode' | 'malloc'>) })
    }
  }
  console.log(`RSS, MiB: ${count} node:zlib compressors (15 bits, memLevel 8), first write synchronous (on the main thread) or asynchronous (ws's way), or ${count} PerMessageDeflate with context takeover on the zlib engine, then closed${existsSync(jemalloc) ? '' : ` (jemalloc rows: apt-get install libjemalloc2)`}\n`)
  table(['C allocator', 'first write', 'before', 'peak', 'after close + GC', 'after / before'], rows.map((r) => [r.malloc, r.mode, r.before.toFixed(0), r.peak.toFixed(0), r.after.toFixed(0), `${(r.after / r.before).toFixed(2)}x`]))
  writeResult('zlib-arena', rows)
}
