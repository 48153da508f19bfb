// Masking throughput: ws-core's cipher (typed arrays, portable) and ws-util's simdCipher
// (WebAssembly SIMD, what ws-util's readers and writers use) against ws's JS fallback, ws with
// bufferutil (native), and Buffer.copy as the memory-bandwidth limit. Same buffers, same run.
// Not a test.
import { cipher } from '@ws-toolkit/ws-core'
import { simdCipher } from '@ws-toolkit/ws-util'
import { measure, table, writeResult } from './lib/measure.js'
import { loadWs } from './lib/ws.js'

type Unmask = (buffer: Buffer, mask: Buffer) => void
const wsFallback = loadWs<{ unmask: Unmask }>('buffer-util.js', 'js').unmask
const wsNative = loadWs<{ unmask: Unmask }>('buffer-util.js', 'bufferutil').unmask
if (wsNative === wsFallback) throw new Error('bufferutil did not load')

const sizes = [16, 125, 256, 512, 1024, 4096, 64 * 1024, 1024 * 1024]
const mask = 0x37fa213d
const maskBytes = Buffer.from([0x37, 0xfa, 0x21, 0x3d])
const rows: string[][] = []
const results: Record<string, unknown>[] = []

for (const size of sizes) {
  for (const misaligned of [false, true]) {
    const backing = new ArrayBuffer(size + 8)
    const at = misaligned ? 1 : 0
    const payload = Buffer.from(backing, at, size)
    const target = Buffer.alloc(size)
    const gbps = (opsPerSecond: number) => (opsPerSecond * size) / 1e9
    const ours = gbps(measure(() => cipher(payload, mask, 0)))
    const simd = gbps(measure(() => simdCipher(payload, mask, 0)))
    const fallback = gbps(measure(() => wsFallback(payload, maskBytes)))
    const native = gbps(measure(() => wsNative(payload, maskBytes)))
    const copy = gbps(measure(() => payload.copy(target)))
    const label = `${size >= 1024 ? `${size / 1024} KiB` : `${size} B`}${misaligned ? ' misaligned' : ''}`
    const best = Math.max(ours, simd)
    rows.push([label, ours.toFixed(2), simd.toFixed(2), fallback.toFixed(2), native.toFixed(2), copy.toFixed(2),
      `${(best / fallback).toFixed(1)}x`, `${(best / native).toFixed(2)}x`, `${(best / copy).toFixed(2)}x`])
    results.push({ size, misaligned, gbps: { wsCore: ours, wsUtilSimd: simd, wsFallback: fallback, wsBufferutil: native, bufferCopy: copy } })
  }
}

console.log('cipher (unmask in place), GB/s, best of 5 rounds\n')
console.log('ratios are for the faster of ws-core and ws-util simd\n')
table(['payload', 'ws-core', 'ws-util simd', 'ws JS', 'ws+bufferutil', 'Buffer.copy', 'vs ws JS', 'vs bufferutil', 'vs copy'], rows)
writeResult('cipher', results)
