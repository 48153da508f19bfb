// Echo throughput, server CPU per message and server heap allocation per message: the
// examples echo-raw.ts (ws-core only) and echo.ts (ws-util), run as they ship, against `ws`'s
// WebSocketServer (JS masking and bufferutil) and a TCP echo floor, in one run. Each server
// runs in a child process and reports its own CPU time (process.cpuUsage) and the bytes it
// allocated on the JS heap (v8.GCProfiler: heap growth plus what each collection freed). The
// load comes from raw sockets in this process: one prebuilt masked frame, sent again as each
// reply's bytes are counted, never parsed; far cheaper than any WebSocket client. Not a test.
import { once } from 'node:events'
import { connect, createServer } from 'node:net'
import { fileURLToPath } from 'node:url'
import { getHeapStatistics, GCProfiler } from 'node:v8'
import { compileFrame, maskFrame, MaxHeaderSize, newBinaryFrame, newHeader, OpCode, readHeader } from '@ws-toolkit/ws-core'
import { WebSocketServer } from 'ws'
import { table, writeResult } from './lib/measure.js'
import { rotatingRounds, serverProcess } from './lib/server-process.js'

type Kind = 'floor' | 'echo-raw.ts' | 'echo.ts' | 'ws' | 'ws+bufferutil'
const kinds: Kind[] = ['floor', 'echo-raw.ts', 'echo.ts', 'ws', 'ws+bufferutil']

const upgradeRequest = Buffer.from('GET / HTTP/1.1\r\nHost: 127.0.0.1\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n'
  + 'Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\nSec-WebSocket-Version: 13\r\n\r\n', 'latin1')

/** serve starts one server in this (child) process and answers the parent's measurement requests. */
async function serve(kind: Kind): Promise<void> {
  let port: number
  if (kind === 'floor') {
    // The limit: a 101 for any request, then every chunk written back as it came (the load
    // generator is told to expect its own frames back). No parsing, no masking.
    const canned = Buffer.from('HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n\r\n')
    const server = createServer((socket) => {
      socket.once('data', () => {
        socket.write(canned)
        socket.on('data', (chunk) => socket.write(chunk))
      })
      socket.on('error', () => {})
    })
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve))
    port = (server.address() as { port: number }).port
  } else if (kind === 'ws' || kind === 'ws+bufferutil') {
    const server = new WebSocketServer({ host: '127.0.0.1', port: 0, perMessageDeflate: false, maxPayload: 64 << 20 })
    server.on('connection', (ws) => {
      ws.on('message', (data, isBinary) => ws.send(data as Buffer, { binary: isBinary }))
      ws.on('error', () => {})
    })
    await once(server, 'listening')
    port = (server.address() as { port: number }).port
  } else {
    // The example itself, as shipped: it parses --port and prints "listening on 127.0.0.1:N".
    const log = console.log
    const listening = new Promise<number>((resolve) => {
      console.log = (line: string) => {
        const match = /^listening on 127\.0\.0\.1:(\d+)/.exec(String(line))
        if (match) resolve(Number(match[1]))
      }
    })
    process.argv = [process.argv[0], kind, '--port', '0']
    await import(fileURLToPath(new URL(`../examples/${kind}`, import.meta.url)))
    port = await listening
    console.log = log
  }
  let profiler: GCProfiler | null = null
  let cpu = process.cpuUsage()
  let used = 0
  process.on('message', (message) => {
    if (message === 'start') {
      profiler = new GCProfiler()
      profiler.start()
      used = getHeapStatistics().used_heap_size
      cpu = process.cpuUsage()
      return
    }
    const cpuNow = process.cpuUsage(cpu)
    const { statistics } = profiler!.stop()
    let allocated = getHeapStatistics().used_heap_size - used
    for (const gc of statistics) allocated += gc.beforeGC.heapStatistics.usedHeapSize - gc.afterGC.heapStatistics.usedHeapSize
    process.send!({ cpuMicros: cpuNow.user + cpuNow.system, allocated })
  })
  process.send!({ port })
}

/** ReplyCounter counts the final frames of the messages in a server's byte stream, skipping payloads. */
class ReplyCounter {
  private readonly header = newHeader()
  private readonly partial = new Uint8Array(MaxHeaderSize)
  private have = 0
  private skip = 0
  private messages = 0

  count(chunk: Uint8Array): number {
    let offset = 0
    while (offset < chunk.length) {
      if (this.skip > 0) {
        const take = Math.min(this.skip, chunk.length - offset)
        this.skip -= take
        offset += take
        continue
      }
      let bytes = chunk
      let start = offset
      if (this.have > 0) {
        const add = Math.min(MaxHeaderSize - this.have, chunk.length - offset)
        this.partial.set(chunk.subarray(offset, offset + add), this.have)
        bytes = this.partial.subarray(0, this.have + add)
        start = 0
      }
      const size = readHeader(bytes, start, this.header)
      if (size === 0) {
        if (this.have === 0) this.partial.set(chunk.subarray(offset), 0)
        this.have = bytes === chunk ? chunk.length - offset : bytes.length
        return this.messages
      }
      offset += size - this.have
      this.have = 0
      this.skip = this.header.length
      if (this.header.fin && this.header.opCode < OpCode.Close) this.messages++
    }
    return this.messages
  }
}

interface Load { size: number; connections: number; inFlight: number; messages: number }

/**
 * drive opens `connections` raw connections to `port`, upgrades them, and echoes `messages`
 * messages of `size` bytes in total, `inFlight` outstanding per connection; returns seconds.
 */
async function drive(port: number, load: Load, floor: boolean): Promise<number> {
  const frame = compileFrame(maskFrame(newBinaryFrame(new Uint8Array(load.size).fill(7))))
  const burst = Buffer.concat(Array.from({ length: load.inFlight }, () => frame))
  const perConnection = Math.ceil(load.messages / load.connections)
  const one = () => new Promise<void>((resolve, reject) => {
    const socket = connect(port, '127.0.0.1', () => socket.write(upgradeRequest))
    socket.setNoDelay(true)
    let upgraded = false
    let sent = 0
    let answered = 0
    // Replies are counted, not read: the floor's are the frames sent, whole; a server may
    // fragment its echo, so the others' headers are read and their payloads skipped.
    let received = 0
    const replies = floor ? null : new ReplyCounter()
    socket.on('data', (chunk: Buffer) => {
      if (!upgraded) {
        const end = chunk.indexOf('\r\n\r\n')
        if (end === -1) return reject(new Error('response head split across chunks'))
        upgraded = true
        sent = Math.min(load.inFlight, perConnection)
        socket.write(burst.subarray(0, sent * frame.length))
        chunk = chunk.subarray(end + 4)
      }
      let done: number
      if (replies === null) {
        received += chunk.length
        done = Math.floor(received / frame.length)
      } else {
        done = replies.count(chunk)
      }
      if (done === answered) return
      answered = done
      if (answered >= perConnection) {
        socket.destroy()
        return resolve()
      }
      const more = Math.min(answered + load.inFlight, perConnection) - sent
      if (more > 0) {
        socket.write(more === 1 ? frame : burst.subarray(0, more * frame.length))
        sent += more
      }
    })
    socket.on('error', reject)
  })
  const start = process.hrtime.bigint()
  await Promise.all(Array.from({ length: load.connections }, one))
  return Number(process.hrtime.bigint() - start) / 1e9
}

async function run(kind: Kind, load: Load) {
  const { child, port } = await serverProcess(fileURLToPath(import.meta.url), kind)
  try {
    await drive(port, { ...load, messages: Math.max(load.connections * load.inFlight, load.messages >> 3) }, kind === 'floor') // warm-up
    child.send('start')
    const seconds = await drive(port, load, kind === 'floor')
    child.send('stop')
    const [{ cpuMicros, allocated }] = (await once(child, 'message')) as [{ cpuMicros: number; allocated: number }]
    return { kind, ...load, perSecond: load.messages / seconds, cpuMicrosPerMessage: cpuMicros / load.messages, allocatedPerMessage: allocated / load.messages }
  } finally {
    child.kill()
  }
}

function loads(): Load[] {
  const sizes = process.env.SIZES?.split(',').map(Number) ?? [16, 1024, 64 * 1024, 1024 * 1024]
  const scale = Number(process.env.SCALE ?? 1)
  const out: Load[] = []
  for (const size of sizes) {
    for (const connections of [1, 64]) {
      // About 64 MiB per case for large messages, 40,000 messages for small ones.
      const messages = Math.round(scale * Math.min(40000, Math.max(64, (64 << 20) / size)))
      out.push({ size, connections, inFlight: 4, messages: Math.max(messages, connections * 4) })
    }
  }
  return out
}

if (process.argv[2] === '--serve') {
  await serve(process.argv[3] as Kind)
} else {
  const rounds = Number(process.env.ROUNDS ?? 2)
  const only = process.env.SERVERS?.split(',') as Kind[] | undefined
  const servers = only ?? kinds
  const rows: string[][] = []
  const results = []
  for (const load of loads()) {
    const samples = await rotatingRounds(servers, rounds, (kind) => run(kind, load))
    // The best of each server's rounds: CPU, rate and allocation each at their best.
    const best = samples.map((all) => ({
      ...all.reduce((a, b) => (a.cpuMicrosPerMessage <= b.cpuMicrosPerMessage ? a : b)),
      perSecond: Math.max(...all.map((r) => r.perSecond)),
      allocatedPerMessage: Math.min(...all.map((r) => r.allocatedPerMessage)),
    }))
    const ws = best.find((r) => r.kind === 'ws+bufferutil') ?? best[best.length - 1]
    const wsJs = best.find((r) => r.kind === 'ws') ?? ws
    for (const r of best) {
      rows.push([
        `${r.size >= 1024 ? `${r.size / 1024} KiB` : `${r.size} B`} x${r.connections}`, r.kind, r.perSecond.toFixed(0),
        r.cpuMicrosPerMessage.toFixed(2), `${(r.cpuMicrosPerMessage / wsJs.cpuMicrosPerMessage).toFixed(2)}x`,
        `${(r.cpuMicrosPerMessage / ws.cpuMicrosPerMessage).toFixed(2)}x`, r.allocatedPerMessage.toFixed(0),
      ])
      results.push(r)
    }
    console.error(`done: ${load.size} B x${load.connections}`)
  }
  console.log(`echo: ${rounds} rounds in rotating order, best round; ${loads()[0].inFlight} messages in flight per connection\n`)
  table(['size x connections', 'server', 'messages/s', 'server CPU µs/msg', 'vs ws', 'vs ws+bufferutil', 'heap B/msg'], rows)
  writeResult('echo', { rounds, results })
}
