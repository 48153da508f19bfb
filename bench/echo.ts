// Echo throughput, server CPU per message and server heap allocation per message: the
// examples echo-raw.ts (ws-core only) and echo.ts (ws-util), run as they ship, against `ws`'s
// WebSocketServer (JS masking and bufferutil) and a TCP echo floor, in one run. Each server
// runs in a child process and reports its own CPU time (process.cpuUsage) and the bytes it
// allocated on the JS heap (v8.GCProfiler: heap growth plus what each collection freed). The
// load comes from raw sockets in this process: one prebuilt masked frame, sent again as each
// reply's bytes are counted, never parsed; far cheaper than any WebSocket client. The
// measurement runs on the connections the warm-up used (lib/echo-load.ts): a new connection's
// first few hundred milliseconds cost every server several times its steady CPU per large
// message. Not a test.
import { once } from 'node:events'
import { Server, type Socket } from 'node:net'
import { serveFloorEcho } from './lib/floor-server.js'
import { fileURLToPath } from 'node:url'
import { compileFrame, maskFrame, newBinaryFrame } from '@ws-toolkit/ws-core'
import { WebSocketServer } from 'ws'
import { EchoLoad } from './lib/echo-load.js'
import { drive, type Load } from './lib/load.js'
import { table, writeResult } from './lib/measure.js'
import { measureServer, reportUsage, rotatingRounds, serveExample, serverProcess } from './lib/server-process.js'

type Kind = 'floor' | 'echo-raw.ts' | 'echo.ts' | 'ws' | 'ws+bufferutil'
const kinds: Kind[] = ['floor', 'echo-raw.ts', 'echo.ts', 'ws', 'ws+bufferutil']

/**
 * Not run unless named in SERVERS: a server as above with TCP_NODELAY set on every accepted
 * socket (`ws` sets it; the floor and the examples leave Nagle's algorithm on), to tell the
 * TCP setting from the WebSocket work at large sizes.
 */
type NoDelayKind = 'floor+nodelay' | 'echo.ts+nodelay' | 'echo-raw.ts+nodelay'

/** serve starts one server in this (child) process and answers the parent's measurement requests. */
async function serve(named: Kind | NoDelayKind): Promise<void> {
  const kind = named.replace(/\+nodelay$/, '') as Kind
  if (kind !== named) {
    // Every net.Server of this process: sockets get TCP_NODELAY as they are accepted.
    const emit = Server.prototype.emit as (this: Server, event: string | symbol, ...args: unknown[]) => boolean
    Server.prototype.emit = function (this: Server, event: string | symbol, ...args: unknown[]) {
      if (event === 'connection') (args[0] as Socket).setNoDelay(true)
      return emit.call(this, event, ...args)
    } as typeof Server.prototype.emit
  }
  let port: number
  if (kind === 'floor') {
    // The limit: node:net echoing the load's frames back (bench/lib/floor-server.ts).
    port = await serveFloorEcho()
  } else if (kind === 'ws' || kind === 'ws+bufferutil') {
    const server = new WebSocketServer({ host: '127.0.0.1', port: 0, perMessageDeflate: false, maxPayload: 64 << 20 })
    server.on('connection', (ws) => {
      ws.on('message', (data, isBinary) => ws.send(data as Buffer, { binary: isBinary }))
      ws.on('error', () => {})
    })
    await once(server, 'listening')
    port = (server.address() as { port: number }).port
  } else {
    port = await serveExample(kind, [])
  }
  reportUsage(port)
}

async function run(kind: Kind | NoDelayKind, load: Load) {
  const { child, port } = await serverProcess(fileURLToPath(import.meta.url), kind)
  const frame = compileFrame(maskFrame(newBinaryFrame(new Uint8Array(load.size).fill(7))))
  const floor = kind === 'floor' || kind === 'floor+nodelay'
  const warmUp = Math.max(2 * load.connections * load.inFlight, load.messages >> 2)
  try {
    if (fresh) {
      // As before: warm-up and measurement each on connections of their own, opened for it.
      await drive(port, { ...load, messages: warmUp }, [frame], { floor })
      const { seconds, cpuMicros, allocated } = await measureServer(child, () => drive(port, load, [frame], { floor }))
      return result(kind, load, seconds, cpuMicros, allocated)
    }
    // The warm-up's connections are measured: their TCP windows and buffers have grown (lib/echo-load.ts).
    const connections = await EchoLoad.open(port, load.connections, load.inFlight, frame, floor)
    try {
      await connections.run(warmUp)
      const { seconds, cpuMicros, allocated } = await measureServer(child, () => connections.run(load.messages))
      return result(kind, load, seconds, cpuMicros, allocated)
    } finally {
      connections.close()
    }
  } finally {
    child.kill()
  }
}

function result(kind: Kind | NoDelayKind, load: Load, seconds: number, cpuMicros: number, allocated: number) {
  return { kind, ...load, perSecond: load.messages / seconds, cpuMicrosPerMessage: cpuMicros / load.messages, allocatedPerMessage: allocated / load.messages }
}

/** FRESH=1 measures as this file did before: new connections for the measurement, as slow as a new connection is at first. */
const fresh = process.env.FRESH === '1'

/** median of `values`; NaN for none. */
function median(values: number[]): number {
  const sorted = [...values].sort((a, b) => a - b)
  const middle = sorted.length >> 1
  return sorted.length === 0 ? NaN : sorted.length % 2 === 1 ? sorted[middle] : (sorted[middle - 1] + sorted[middle]) / 2
}

function loads(): Load[] {
  const sizes = process.env.SIZES?.split(',').map(Number) ?? [16, 1024, 64 * 1024, 1024 * 1024]
  const scale = Number(process.env.SCALE ?? 1)
  const out: Load[] = []
  for (const size of sizes) {
    for (const connections of [1, 64]) {
      // About 256 MiB per case for large messages, 40,000 messages for small ones, and at
      // least 8 rounds of the 4 in flight on every connection.
      const messages = Math.round(scale * Math.min(40000, Math.max(64, (256 << 20) / size)))
      out.push({ size, connections, inFlight: 4, messages: Math.max(messages, connections * 4 * 8) })
    }
  }
  return out
}

if (process.argv[2] === '--serve') {
  await serve(process.argv[3] as Kind | NoDelayKind)
} else {
  const rounds = Number(process.env.ROUNDS ?? 2)
  const only = process.env.SERVERS?.split(',') as (Kind | NoDelayKind)[] | undefined
  const servers = only ?? kinds
  const rows: string[][] = []
  const results: object[] = []
  for (const load of loads()) {
    const samples = await rotatingRounds(servers, rounds, (kind) => run(kind, load))
    // The best of each server's rounds: CPU, rate and allocation each at their best.
    const best = samples.map((all) => ({
      ...all.reduce((a, b) => (a.cpuMicrosPerMessage <= b.cpuMicrosPerMessage ? a : b)),
      perSecond: Math.max(...all.map((r) => r.perSecond)),
      allocatedPerMessage: Math.min(...all.map((r) => r.allocatedPerMessage)),
    }))
    const wsIndex = best.findIndex((r) => r.kind === 'ws+bufferutil')
    const ws = best[wsIndex] ?? best[best.length - 1]
    const wsJs = best.find((r) => r.kind === 'ws') ?? ws
    best.forEach((r, i) => {
      // Also each round's CPU over ws+bufferutil's in the same round (run next to it), the
      // median of the rounds: less moved by one lucky or unlucky round on a shared machine.
      const roundRatios = wsIndex === -1 ? [] : samples[i].map((s, round) => s.cpuMicrosPerMessage / samples[wsIndex][round].cpuMicrosPerMessage)
      const medianRatio = median(roundRatios)
      rows.push([
        `${r.size >= 1024 ? `${r.size / 1024} KiB` : `${r.size} B`} x${r.connections}`, r.kind, r.perSecond.toFixed(0),
        r.cpuMicrosPerMessage.toFixed(2), `${(r.cpuMicrosPerMessage / wsJs.cpuMicrosPerMessage).toFixed(2)}x`,
        `${(r.cpuMicrosPerMessage / ws.cpuMicrosPerMessage).toFixed(2)}x`, Number.isNaN(medianRatio) ? '-' : `${medianRatio.toFixed(2)}x`, r.allocatedPerMessage.toFixed(0),
      ])
      results.push({ ...r, medianRoundRatio: medianRatio })
    })
    console.error(`done: ${load.size} B x${load.connections}`)
  }
  console.log(`echo: ${rounds} rounds in rotating order, best round; ${loads()[0].inFlight} messages in flight per connection; ${fresh ? 'measured on new connections (FRESH=1)' : 'measured on the warm-up\'s connections'}\n`)
  table(['size x connections', 'server', 'messages/s', 'server CPU µs/msg', 'vs ws', 'vs ws+bufferutil', 'median round vs ws+bu', 'heap B/msg'], rows)
  writeResult('echo', { rounds, fresh, results })
}
