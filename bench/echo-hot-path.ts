// Allocations on ws-util's echo hot path, in one process and without Node's net: a
// DataReader fed masked frames, one per chunk as a socket would deliver them, answering each
// through a BatchWriter into a stand-in socket that takes every write at once. What the
// process allocates on the JS heap per echoed message (v8.GCProfiler) is divided by what one
// Buffer view costs, measured the same way: the number of small objects our code allocates per
// message. Node's own per-read and per-write objects are outside this measurement by design
// (echo.ts measures the whole server). Not a test.
import { EventEmitter } from 'node:events'
import type { Duplex } from 'node:stream'
import { getHeapStatistics, GCProfiler } from 'node:v8'
import { compileFrame, maskFrameWith, newBinaryFrame } from '@ws-toolkit/ws-core'
import { BatchWriter, readClientData } from '@ws-toolkit/ws-util'
import { table, writeResult } from './lib/measure.js'

/** allocated runs `work` and returns the bytes it allocated on the JS heap. */
function allocated(work: () => void): number {
  const profiler = new GCProfiler()
  profiler.start()
  const before = getHeapStatistics().used_heap_size
  work()
  const after = getHeapStatistics().used_heap_size
  let freed = 0
  for (const gc of profiler.stop().statistics) freed += gc.beforeGC.heapStatistics.usedHeapSize - gc.afterGC.heapStatistics.usedHeapSize
  return after - before + freed
}

/** A socket stand-in: takes every write at once and calls back synchronously. */
class Stub extends EventEmitter {
  writableNeedDrain = false
  writableLength = 0
  written = 0
  write(chunk: Uint8Array, callback?: () => void): boolean {
    this.written += chunk.length
    callback?.()
    return true
  }
  cork(): void {}
  uncork(): void {}
  end(): void {}
  pause(): this {
    return this
  }
  resume(): this {
    return this
  }
}

function echoes(size: number, count: number): number {
  const socket = new Stub()
  const duplex = socket as unknown as Duplex
  const writer = new BatchWriter(duplex, { side: 'server' })
  readClientData(duplex, new Uint8Array(0), { onMessage: (opCode, data) => writer.writeMessage(opCode, data) }, { writer })
  // One chunk, fed again and again: unmasking in place toggles its payload, which binary
  // messages do not mind.
  const chunk = Buffer.from(compileFrame(maskFrameWith(newBinaryFrame(new Uint8Array(size).fill(1)), 0x11223344)))
  const warm = Math.min(count, 20000)
  for (let i = 0; i < warm; i++) socket.emit('data', chunk)
  const bytes = allocated(() => {
    for (let i = 0; i < count; i++) socket.emit('data', chunk)
  })
  if (socket.written < count) throw new Error('nothing echoed')
  return bytes / count
}

const views = 1_000_000
const source = Buffer.alloc(64)
const keep: Buffer[] = new Array(1000)
const perView = allocated(() => {
  for (let i = 0; i < views; i++) keep[i % 1000] = source.subarray(1, 9)
}) / views

const rows = [16, 1024, 65536].map((size) => {
  const perMessage = echoes(size, size >= 65536 ? 50_000 : 500_000)
  return { size, perMessage, views: perMessage / perView }
})
console.log(`echo hot path (DataReader + BatchWriter, one frame per chunk, stand-in socket); one Buffer view = ${perView.toFixed(0)} B\n`)
table(['message', 'heap B/message', 'in Buffer views'], rows.map((r) => [`${r.size} B`, r.perMessage.toFixed(1), r.views.toFixed(2)]))
writeResult('echo-hot-path', { perView, rows })
