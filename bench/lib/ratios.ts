// The ratios against `ws` that each benchmark's saved result holds, as chart bars. Every ratio
// is oriented so that above 1 means ours is better: a rate is ours / ws, a cost (CPU time or
// heap bytes per message) is ws / ours. The reference is always `ws` with `bufferutil`, its
// fastest way to run.
import type { Bar, BarGroup } from './log-bar-chart.js'

/** Direction names what a ratio above 1 and below 1 mean, e.g. "faster" and "slower". */
export interface Direction { better: string; worse: string }

const faster: Direction = { better: 'faster', worse: 'slower' }
const lessCpu: Direction = { better: 'less CPU', worse: 'more CPU' }
const lessHeap: Direction = { better: 'less heap', worse: 'more heap' }

/** Heap bytes per message below this are shown as this: a ratio against (nearly) nothing means nothing. */
const heapFloor = 1

/** sizeLabel prints a byte count as "16 B", "64 KiB", "1 MiB". */
export function sizeLabel(bytes: number): string {
  if (bytes >= 1 << 20 && bytes % (1 << 20) === 0) return `${bytes / (1 << 20)} MiB`
  if (bytes >= 1024 && bytes % 1024 === 0) return `${bytes / 1024} KiB`
  return `${bytes} B`
}

/** significant prints `value` with 3 significant digits, without an exponent. */
export function significant(value: number): string {
  if (value === 0) return '0'
  const digits = Math.max(0, 2 - Math.floor(Math.log10(Math.abs(value))))
  return value.toFixed(Math.min(digits, 3))
}

/** ratioText prints a ratio as "3.2× faster", or below 1 as its inverse: "1.3× slower"; near 1 with two decimals ("1.03× slower"). */
export function ratioText(ratio: number, direction: Direction): string {
  const shown = ratio >= 1 ? ratio : 1 / ratio
  return `${shown.toFixed(shown >= 9.95 ? 0 : shown >= 1.095 ? 1 : 2)}× ${ratio >= 1 ? direction.better : direction.worse}`
}

/** rateBar is a bar for a rate (more is better): ours / ws. */
function rateBar(label: string, ours: number, ws: number, unit: string): Bar {
  const value = ours / ws
  return { label, value, valueText: ratioText(value, faster), detail: `(${significant(ours)} vs ${significant(ws)} ${unit})` }
}

/** costBar is a bar for a cost (less is better): ws / ours, with `ours` no lower than `floor`. */
function costBar(label: string, ours: number, ws: number, unit: string, direction: Direction, floor = 0): Bar {
  const value = ws / Math.max(ours, floor)
  const oursText = ours < floor ? `< ${floor}` : significant(ours)
  return { label, value, valueText: ratioText(value, direction), detail: `(${oursText} vs ${significant(ws)} ${unit})` }
}

/** The parts of cipher.ts's result the chart reads. */
export interface CipherResult { size: number; misaligned: boolean; gbps: { wsCore: number; wsUtilSimd: number; wsBufferutil: number } }

/** cipherBars: masking GB/s, the faster of ws-core's cipher and ws-util's simdCipher against ws's unmask with bufferutil, aligned buffers. */
export function cipherBars(result: CipherResult[]): BarGroup {
  return {
    title: 'Masking in place, GB/s: faster of ws-core cipher / ws-util simdCipher vs ws unmask (bufferutil), aligned',
    bars: result.filter((r) => !r.misaligned).map((r) => rateBar(sizeLabel(r.size), Math.max(r.gbps.wsCore, r.gbps.wsUtilSimd), r.gbps.wsBufferutil, 'GB/s')),
  }
}

/** The parts of header.ts's result the chart reads. */
export interface HeaderResult { payload: number; framesPerSecond: { wsCoreHeadersUnmask: number; wsReceiverBufferutil: number } }

/** headerBars: masked frames read per second, ws-core (headers checked, payload unmasked) against ws's Receiver with bufferutil. */
export function headerBars(result: HeaderResult[]): BarGroup {
  return {
    title: 'Reading masked client frames, frames/s: ws-core headers + unmask vs ws Receiver (bufferutil)',
    bars: result.map((r) => rateBar(`${sizeLabel(r.payload)} frames`, r.framesPerSecond.wsCoreHeadersUnmask / 1e6, r.framesPerSecond.wsReceiverBufferutil / 1e6, 'M/s')),
  }
}

/** The parts of handshake.ts's result the chart reads. */
export interface HandshakeResult { servers: { kind: string; perSecond: number; cpuMicrosPerHandshake: number }[] }

/** handshakeBars: server CPU per opening handshake, ws-util's acceptSocket and acceptHttpUpgrade against ws's WebSocketServer with bufferutil. */
export function handshakeBars(result: HandshakeResult): BarGroup {
  const server = (kind: string) => {
    const found = result.servers.find((s) => s.kind === kind)
    if (found === undefined) throw new Error(`handshake result has no ${kind}`)
    return found
  }
  const ws = server('ws+bufferutil')
  const names: Record<string, string> = { 'ws-core net': 'acceptSocket on net', 'ws-core http': 'acceptHttpUpgrade on node:http' }
  return {
    title: 'Opening handshake, server CPU per handshake: ws-util vs ws WebSocketServer (bufferutil)',
    bars: Object.entries(names).map(([kind, label]) => costBar(label, server(kind).cpuMicrosPerHandshake, ws.cpuMicrosPerHandshake, 'µs', lessCpu)),
  }
}

/** The parts of echo.ts's result the chart reads. */
export interface EchoResult { results: { kind: string; size: number; connections: number; cpuMicrosPerMessage: number; allocatedPerMessage: number }[] }

/**
 * echoBars: the examples echo.ts (ws-util) and echo-raw.ts (ws-core only) against ws's
 * WebSocketServer with bufferutil, per message size and connection count: server CPU per
 * message, and server JS heap bytes per message.
 */
export function echoBars(result: EchoResult): BarGroup[] {
  const cpu: Bar[] = []
  const heap: Bar[] = []
  const loads = [...new Map(result.results.map((r) => [`${r.size} ${r.connections}`, r])).values()]
  for (const load of loads) {
    const same = result.results.filter((r) => r.size === load.size && r.connections === load.connections)
    const ws = same.find((r) => r.kind === 'ws+bufferutil')
    if (ws === undefined) continue
    for (const [kind, name] of [['echo.ts', 'echo.ts (ws-util)'], ['echo-raw.ts', 'echo-raw.ts (ws-core)']]) {
      const ours = same.find((r) => r.kind === kind)
      if (ours === undefined) continue
      const label = `${sizeLabel(load.size)} ×${load.connections} conn · ${name}`
      cpu.push(costBar(label, ours.cpuMicrosPerMessage, ws.cpuMicrosPerMessage, 'µs/msg', lessCpu))
      heap.push(costBar(label, ours.allocatedPerMessage, ws.allocatedPerMessage, 'B/msg', lessHeap, heapFloor))
    }
  }
  return [
    { title: 'Echo, server CPU per message: the examples vs ws WebSocketServer (bufferutil)', bars: cpu },
    { title: 'Echo, server JS heap allocated per message: the examples vs ws WebSocketServer (bufferutil)', bars: heap },
  ]
}

/** The parts of deflate.ts's result the chart reads. */
export interface DeflateResult { echo: { kind: string; connections: number; cpuMicrosPerMessage: number; allocatedPerMessage: number }[] | null }

/**
 * deflateBars: compressed echo of 1 KiB JSON, the example deflate-echo.ts with each engine at
 * level 6 (ws's zlib level) against ws with perMessageDeflate: server CPU and JS heap per message.
 */
export function deflateBars(result: DeflateResult): BarGroup[] {
  if (result.echo === null) return []
  const cpu: Bar[] = []
  const heap: Bar[] = []
  for (const connections of [...new Set(result.echo.map((r) => r.connections))]) {
    const same = result.echo.filter((r) => r.connections === connections)
    const ws = same.find((r) => r.kind === 'ws')
    if (ws === undefined) continue
    for (const kind of ['zlib', 'fflate']) {
      const ours = same.find((r) => r.kind === kind)
      if (ours === undefined) continue
      const label = `1 KiB JSON ×${connections} conn · ${kind} engine`
      cpu.push(costBar(label, ours.cpuMicrosPerMessage, ws.cpuMicrosPerMessage, 'µs/msg', lessCpu))
      heap.push(costBar(label, ours.allocatedPerMessage, ws.allocatedPerMessage, 'B/msg', lessHeap, heapFloor))
    }
  }
  return [
    { title: 'permessage-deflate echo, server CPU per message: deflate-echo.ts (level 6) vs ws perMessageDeflate (level 6)', bars: cpu },
    { title: 'permessage-deflate echo, server JS heap per message: deflate-echo.ts (level 6) vs ws perMessageDeflate', bars: heap },
  ]
}
