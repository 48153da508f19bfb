// Masking throughput: ws-core's cipher against ws's JS fallback, ws with bufferutil (native),
// and Buffer.copy as the memory-bandwidth limit. Same buffers, same run. Not a test.
import { cipher } from '@ws-toolkit/ws-core'
import { measure, table, writeResult } from './lib/measure.js'
import { loadWs } from './lib/ws.js'

type Unmask = (buffer: Buffer, mask: Buffer) => void
const wsFallback = loadWs<{ unmask: Unmask }>('buffer-util.js', 'js').unmask
const wsNative = loadWs<{ unmask: Unmask }>('buffer-util.js', 'bufferutil').unmask
if (wsNative === wsFallback) throw new Error('bufferutil did not load')

const sizes = [16, 125, 1024, 64 * 1024, 1024 * 1024]
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
    const fallback = gbps(measure(() => wsFallback(payload, maskBytes)))
    const native = gbps(measure(() => wsNative(payload, maskBytes)))
    const copy = gbps(measure(() => payload.copy(target)))
    const label = `${size >= 1024 ? `${size / 1024} KiB` : `${size} B`}${misaligned ? ' misaligned' : ''}`
    rows.push([label, ours.toFixed(2), fallback.toFixed(2), native.toFixed(2), copy.toFixed(2),
      `${(ours / fallback).toFixed(1)}x`, `${(ours / native).toFixed(2)}x`, `${(ours / copy).toFixed(2)}x`])
    results.push({ size, misaligned, gbps: { wsCore: ours, wsFallback: fallback, wsBufferutil: native, bufferCopy: copy } })
  }
}

console.log('cipher (unmask in place), GB/s, best of 5 rounds\n')
table(['payload', 'ws-core', 'ws JS', 'ws+bufferutil', 'Buffer.copy', 'vs ws JS', 'vs bufferutil', 'vs copy'], rows)
writeResult('cipher', results)
