// Masking throughput: ws-core's cipher (typed arrays, portable) and ws-util's simdCipher
// (WebAssembly SIMD, what ws-util's readers and writers use) against ws's JS fallback, ws with
// bufferutil (native), and Buffer.copy as the memory-bandwidth limit. Same buffers, same run,
// measured side by side: every round times each of the five once, in rotating order, so load
// from elsewhere on a shared machine falls on all of them alike. Not a test.
import { cipher } from '@ws-toolkit/ws-core'
import { simdCipher } from '@ws-toolkit/ws-util'
import { table, writeResult } from './lib/measure.js'
import { loadWs } from './lib/ws.js'

type Unmask = (buffer: Buffer, mask: Buffer) => void
const wsFallback = loadWs<{ unmask: Unmask }>('buffer-util.js', 'js').unmask
const wsNative = loadWs<{ unmask: Unmask }>('buffer-util.js', 'bufferutil').unmask
if (wsNative === wsFallback) throw new Error('bufferutil did not load')

const sizes = [16, 125, 256, 512, 1024, 4096, 16 * 1024, 64 * 1024, 1024 * 1024]
const rounds = Number(process.env.ROUNDS ?? 15)
const mask = 0x37fa213d
const maskBytes = Buffer.from([0x37, 0xfa, 0x21, 0x3d])
const rows: string[][] = []
const results: Record<string, unknown>[] = []

/**
 * sideBySide sizes a batch of each operation to take about `batchMs`, then runs `rounds`
 * rounds, each timing one batch of every operation in an order rotated by one per round, and
 * returns each operation's best rate in operations per second. Best-of: on a shared machine,
 * noise only ever slows a batch down.
 */
function sideBySide(operations: (() => void)[], { batchMs = 40 } = {}): number[] {
  const batches = operations.map((operation) => {
    for (let batch = 1; ; batch *= 4) {
      const start = process.hrtime.bigint()
      for (let i = 0; i < batch; i++) operation()
      const ms = Number(process.hrtime.bigint() - start) / 1e6
      if (ms >= batchMs / 4) return Math.max(1, Math.ceil((batch * batchMs) / Math.max(ms, 0.001)))
    }
  })
  const best = operations.map(() => 0)
  for (let round = 0; round < rounds; round++) {
    for (let j = 0; j < operations.length; j++) {
      const k = (j + round) % operations.length
      const start = process.hrtime.bigint()
      for (let i = 0; i < batches[k]; i++) operations[k]()
      best[k] = Math.max(best[k], batches[k] / (Number(process.hrtime.bigint() - start) / 1e9))
    }
  }
  return best
}

for (const size of sizes) {
  for (const misaligned of [false, true]) {
    const backing = new ArrayBuffer(size + 8)
    const at = misaligned ? 1 : 0
    const payload = Buffer.from(backing, at, size)
    const target = Buffer.alloc(size)
    const [ours, simd, fallback, native, copy] = sideBySide([
      () => cipher(payload, mask, 0),
      () => simdCipher(payload, mask, 0),
      () => wsFallback(payload, maskBytes),
      () => wsNative(payload, maskBytes),
      () => payload.copy(target),
    ]).map((opsPerSecond) => (opsPerSecond * size) / 1e9)
    const label = `${size >= 1024 ? `${size / 1024} KiB` : `${size} B`}${misaligned ? ' misaligned' : ''}`
    rows.push([label, ours.toFixed(2), simd.toFixed(2), fallback.toFixed(2), native.toFixed(2), copy.toFixed(2),
      `${(simd / native).toFixed(2)}x`, `${(simd / fallback).toFixed(1)}x`, `${(simd / copy).toFixed(2)}x`])
    results.push({ size, misaligned, gbps: { wsCore: ours, wsUtilSimd: simd, wsFallback: fallback, wsBufferutil: native, bufferCopy: copy } })
  }
}

console.log(`cipher (unmask in place), GB/s, best of ${rounds} side-by-side rounds\n`)
console.log('ratios are ws-util simdCipher against ws with bufferutil, ws JS and Buffer.copy\n')
table(['payload', 'ws-core', 'ws-util simd', 'ws JS', 'ws+bufferutil', 'Buffer.copy', 'simd/bufferutil', 'simd/ws JS', 'simd/copy'], rows)
writeResult('cipher', results)
