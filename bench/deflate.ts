// permessage-deflate (RFC 7692), two parts. Not a test.
//
// 1. Echo of 1 KiB JSON messages with compression on, server CPU per message: the example
//    deflate-echo.ts as it ships, with the fflate engine and with the zlib engine (at the
//    default level 6 and at --level 1), against ws's WebSocketServer with perMessageDeflate
//    (bufferutil loaded; zlib's default level 6). Servers run in child
//    processes and report their own CPU (process.cpuUsage) and JS heap allocation; the load
//    comes from raw sockets sending one prebuilt stream of compressed, masked text frames
//    (context takeover, 15-bit window: what browsers and ws send) and counting replies.
// 2. The engines alone, in this process: compress and decompress MB/s (of uncompressed bytes)
//    with and without context takeover, and bytes allocated per message (a child process
//    counts every typed array, ArrayBuffer and Buffer JavaScript creates, and the JS heap),
//    fflate against node:zlib, at 64 B, 1 KiB, 16 KiB and 256 KiB of JSON. Without takeover,
//    fflate also as a new engine per message: what its reset saves.
//
//   pnpm --filter bench run deflate        ROUNDS=N SCALE=F PART=echo|engines to narrow it
import { once } from 'node:events'
import { fork } from 'node:child_process'
import { fileURLToPath } from 'node:url'
import { getHeapStatistics, GCProfiler } from 'node:v8'
import { compileFrame, maskFrame, newTextFrame, Rsv1 } from '@ws-toolkit/ws-core'
import type { DeflateEngine } from '@ws-toolkit/ws-flate'
import { WebSocketServer } from 'ws'
import { drive, type Load, upgradeRequest } from './lib/load.js'
import { measure, table, writeResult } from './lib/measure.js'
import { measureServer, reportUsage, rotatingRounds, serveExample, serverProcess } from './lib/server-process.js'

type Kind = 'fflate' | 'fflate-1' | 'zlib' | 'zlib-1' | 'ws'
/** The engines at their default level (6, as ws's zlib) and at level 1 (`--level 1`). */
const kinds: Kind[] = ['fflate', 'fflate-1', 'zlib', 'zlib-1', 'ws']

/** jsonMessages makes `count` distinct JSON-like texts of exactly `size` bytes (ASCII; a seeded generator: the same every run). */
function jsonMessages(count: number, size: number): Buffer[] {
  let seed = 12345
  const next = () => (seed = (seed * 1103515245 + 12345) >>> 0) / 2 ** 32
  const names = ['alice', 'bob', 'carol', 'dave', 'erin', 'frank', 'grace', 'heidi']
  return Array.from({ length: count }, (_, n) => {
    const items: unknown[] = []
    let text = ''
    while (text.length < size) {
      items.push({ id: n * 1000 + items.length, user: names[Math.floor(next() * names.length)], price: Math.round(next() * 1e6) / 100, qty: Math.floor(next() * 100), open: next() < 0.5, tag: next().toString(36).slice(2, 8) })
      text = JSON.stringify({ seq: n, items })
    }
    return Buffer.from(text.slice(0, size))
  })
}

// ---------------------------------------------------------------- part 1: compressed echo

async function serve(kind: Kind): Promise<void> {
  if (kind === 'ws') {
    const server = new WebSocketServer({ host: '127.0.0.1', port: 0, maxPayload: 64 << 20, perMessageDeflate: { threshold: 128 } })
    server.on('connection', (ws) => {
      ws.on('message', (data, isBinary) => ws.send(data as Buffer, { binary: isBinary }))
      ws.on('error', () => {})
    })
    await once(server, 'listening')
    return reportUsage((server.address() as { port: number }).port)
  }
  const [engine, level] = kind.split('-')
  reportUsage(await serveExample('deflate-echo.ts', ['--engine', engine, ...(level === undefined ? [] : ['--level', level])]))
}

/**
 * compressedStream is what a browser would send: each message compressed after the ones
 * before it (context takeover), masked. The compressor is made at once (`offThread: false`):
 * made off the main thread, it would not be ready while this loop runs and the stream would
 * have no context.
 */
async function compressedStream(count: number): Promise<Uint8Array[]> {
  const { PerMessageDeflate } = await import('@ws-toolkit/ws-flate')
  const { zlibEngine } = await import('@ws-toolkit/ws-flate/zlib')
  const client = new PerMessageDeflate({ serverNoContextTakeover: false, clientNoContextTakeover: false, serverMaxWindowBits: 15, clientMaxWindowBits: 15 }, 'client', { engine: zlibEngine, threshold: 0, offThread: false })
  return jsonMessages(count, 1024).map((message) => {
    const frame = newTextFrame(new Uint8Array(client.deflater.compress(message)!))
    frame.header.rsv = Rsv1
    return compileFrame(maskFrame(frame))
  })
}

async function echoPart(rounds: number, scale: number) {
  const rows: string[][] = []
  const results = []
  const request = upgradeRequest('permessage-deflate; client_max_window_bits')
  for (const connections of [1, 64]) {
    const load: Load = { size: 1024, connections, inFlight: 4, messages: Math.round(20000 * scale) }
    const frames = await compressedStream(Math.ceil(load.messages / connections))
    const compressed = frames.reduce((n, f) => n + f.length, 0) / frames.length
    const samples = await rotatingRounds(kinds, rounds, async (kind) => {
      const { child, port } = await serverProcess(fileURLToPath(import.meta.url), kind)
      try {
        await drive(port, { ...load, messages: Math.max(connections * 4, load.messages >> 3) }, frames, { request }) // warm-up
        const { seconds, cpuMicros, allocated } = await measureServer(child, () => drive(port, load, frames, { request }))
        return { kind, connections, perSecond: load.messages / seconds, cpuMicrosPerMessage: cpuMicros / load.messages, allocatedPerMessage: allocated / load.messages }
      } finally {
        child.kill()
      }
    })
    const best = samples.map((all) => all.reduce((a, b) => (a.cpuMicrosPerMessage <= b.cpuMicrosPerMessage ? a : b)))
    const ws = best.find((r) => r.kind === 'ws')!
    for (const r of best) {
      const [engine, level = '6'] = r.kind.split('-')
      rows.push([`1 KiB JSON x${connections}`, r.kind === 'ws' ? 'ws (perMessageDeflate, level 6)' : `deflate-echo.ts ${engine}, level ${level}`, r.perSecond.toFixed(0),
        r.cpuMicrosPerMessage.toFixed(1), `${(r.cpuMicrosPerMessage / ws.cpuMicrosPerMessage).toFixed(2)}x`, r.allocatedPerMessage.toFixed(0)])
      results.push({ ...r, compressedFrameBytes: compressed })
    }
    console.error(`done: echo x${connections} (client frames ${compressed.toFixed(0)} bytes on average)`)
  }
  console.log(`compressed echo of 1 KiB JSON: ${rounds} rounds in rotating order, best round; 4 messages in flight per connection\n`)
  table(['case', 'server', 'messages/s', 'server CPU µs/msg', 'vs ws', 'heap B/msg'], rows)
  return results
}

// ---------------------------------------------------------------- part 2: the engines alone

const sizes = [64, 1024, 16 * 1024, 256 * 1024]
/** Enough distinct messages per size that a 32 KiB window cannot simply find the last ones again. */
const countFor = (size: number) => Math.max(8, Math.ceil((1 << 20) / size))

/**
 * flate loads ws-flate and its engines on first use: the allocation count must wrap the
 * constructors before fflate captures them.
 */
async function flate() {
  const { fflateEngine, MessageDeflater, MessageInflater } = await import('@ws-toolkit/ws-flate')
  const { zlibEngine } = await import('@ws-toolkit/ws-flate/zlib')
  const engines: Record<string, DeflateEngine> = { fflate: fflateEngine, zlib: zlibEngine }
  return {
    engines,
    deflater: (engine: DeflateEngine, keepContext: boolean) => new MessageDeflater(engine.createDeflater({ windowBits: 15, keepContext }), { keepContext }),
    inflater: (engine: DeflateEngine, keepContext: boolean) => new MessageInflater(engine.createInflater({ windowBits: 15, keepContext })),
  }
}

/** Mode: context takeover, none (the engine reset after each message), or none with a new engine for each message. */
type Mode = 'takeover' | 'no takeover' | 'new per message'
const modes: Mode[] = ['takeover', 'no takeover', 'new per message']
/** measuredCases is what the engines part measures: every engine in the first two modes, fflate's compressor in the third. */
function* measuredCases(engines: Record<string, DeflateEngine>) {
  for (const mode of modes) {
    for (const size of sizes) {
      for (const kind of ['compress', 'decompress'] as const) {
        for (const [name, engine] of Object.entries(engines)) {
          if (mode !== 'new per message' || (name === 'fflate' && kind === 'compress')) yield { mode, size, kind, name, engine }
        }
      }
    }
  }
}

/**
 * operation compresses or decompresses the next message of a connection in `mode`; when its
 * messages run out the connection starts over (a new compressor or decompressor).
 */
async function operation(engine: DeflateEngine, size: number, kind: 'compress' | 'decompress', mode: Mode): Promise<() => void> {
  const { deflater, inflater } = await flate()
  const messages = jsonMessages(countFor(size), size)
  const keepContext = mode === 'takeover'
  let i = 0
  if (kind === 'compress') {
    let current = deflater(engine, keepContext)
    return () => {
      if (i === messages.length || mode === 'new per message') {
        i %= messages.length
        current.close()
        current = deflater(engine, keepContext)
      }
      current.compress(messages[i++])
    }
  }
  const sender = deflater(engine, keepContext)
  const payloads = messages.map((m) => new Uint8Array(sender.compress(m)!))
  sender.close()
  let current = inflater(engine, keepContext)
  const sink = () => {}
  return () => {
    if (i === payloads.length) {
      i = 0
      current.close()
      current = inflater(engine, keepContext)
    }
    current.write(payloads[i++], sink)
    current.end(sink)
  }
}

async function speedPart() {
  const all = (await flate()).engines
  const results: { engine: string; size: number; kind: string; mode: Mode; mbPerSecond: number }[] = []
  for (const { mode, size, kind, name, engine } of measuredCases(all)) {
    const perSecond = measure(await operation(engine, size, kind, mode), { minMs: 300, rounds: 5 })
    results.push({ engine: name, size, kind, mode, mbPerSecond: (perSecond * size) / 1e6 })
  }
  return results
}

interface AllocationRow { engine: string; size: number; kind: string; mode: Mode; bytesPerMessage: number; heapPerMessage: number }

/**
 * allocationChild counts, in a child process, the bytes of every typed array, ArrayBuffer and
 * Buffer that JavaScript creates (the constructors are wrapped before the engines load) and
 * the JS heap allocated, per message.
 */
async function allocationChild(): Promise<void> {
  let counted = 0
  for (const name of ['Uint8Array', 'Uint16Array', 'Int32Array', 'Uint32Array', 'ArrayBuffer'] as const) {
    const real = globalThis[name] as unknown as new (...args: unknown[]) => { byteLength: number }
    ;(globalThis as Record<string, unknown>)[name] = new Proxy(real, {
      construct(target, args) {
        const made = Reflect.construct(target, args)
        // A view over an existing buffer is not new memory.
        if (!(args[0] instanceof ArrayBuffer) && !(typeof SharedArrayBuffer !== 'undefined' && args[0] instanceof SharedArrayBuffer)) counted += made.byteLength
        return made
      },
    })
  }
  for (const name of ['alloc', 'allocUnsafe', 'allocUnsafeSlow', 'concat', 'from'] as const) {
    const real = Buffer[name] as (...args: unknown[]) => Buffer
    ;(Buffer as unknown as Record<string, unknown>)[name] = (...args: unknown[]) => {
      const made = real.apply(Buffer, args)
      if (!(args[0] instanceof ArrayBuffer)) counted += made.length
      return made
    }
  }
  const all = (await flate()).engines
  const out: AllocationRow[] = []
  for (const { mode, size, kind, name, engine } of measuredCases(all)) {
    const run = await operation(engine, size, kind, mode)
    const n = Math.min(2000, countFor(size))
    for (let i = 0; i < 50; i++) run() // settle: buffers made once per connection are not per message
    counted = 0
    const profiler = new GCProfiler()
    profiler.start()
    const before = getHeapStatistics().used_heap_size
    for (let i = 0; i < n; i++) run()
    const after = getHeapStatistics().used_heap_size
    let freed = 0
    for (const gc of profiler.stop().statistics) freed += gc.beforeGC.heapStatistics.usedHeapSize - gc.afterGC.heapStatistics.usedHeapSize
    out.push({ engine: name, size, kind, mode, bytesPerMessage: counted / n, heapPerMessage: (after - before + freed) / n })
  }
  process.send!(out)
}

async function enginesPart() {
  const speed = await speedPart()
  const child = fork(fileURLToPath(import.meta.url), ['--allocations'], { execArgv: process.execArgv })
  const [allocations] = (await once(child, 'message')) as [AllocationRow[]]
  child.kill()
  const rows: string[][] = []
  const label = (size: number) => (size >= 1024 ? `${size / 1024} KiB` : `${size} B`)
  for (const r of speed) {
    const a = allocations.find((x) => x.engine === r.engine && x.size === r.size && x.kind === r.kind && x.mode === r.mode)!
    const zlib = speed.find((x) => x.engine === 'zlib' && x.size === r.size && x.kind === r.kind && x.mode === (r.mode === 'new per message' ? 'no takeover' : r.mode))!
    rows.push([`${label(r.size)} ${r.kind}, ${r.mode === 'takeover' ? 'takeover' : 'no takeover'}`, r.mode === 'new per message' ? `${r.engine}, new per message` : r.engine, r.mbPerSecond.toFixed(1),
      `${(r.mbPerSecond / zlib.mbPerSecond).toFixed(2)}x`, a.bytesPerMessage.toFixed(0), a.heapPerMessage.toFixed(0)])
  }
  console.log('\nengines alone, JSON: MB/s of uncompressed bytes (best of 5 rounds of 300 ms)\n')
  table(['case', 'engine', 'MB/s', 'vs zlib', 'buffers B/msg', 'heap B/msg'], rows)
  return { speed, allocations }
}

if (process.argv[2] === '--serve') {
  await serve(process.argv[3] as Kind)
} else if (process.argv[2] === '--allocations') {
  await allocationChild()
} else {
  const rounds = Number(process.env.ROUNDS ?? 2)
  const scale = Number(process.env.SCALE ?? 1)
  const part = process.env.PART
  const echo = part === 'engines' ? null : await echoPart(rounds, scale)
  const enginesResult = part === 'echo' ? null : await enginesPart()
  writeResult('deflate', { rounds, scale, echo, engines: enginesResult })
}
