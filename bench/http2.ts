// WebSockets over HTTP/2 (RFC 8441, issue 16) against WebSockets over HTTP/1.1, in one run:
// what the server's CPU pays for each.
//
// 1. Handshake: server CPU per opening handshake. HTTP/1.1: a new TCP connection, the
//    Chromium-like request of handshake.ts, acceptSocket on a net.Server (Upgrader.upgrade,
//    SHA-1 accept key, the 101). HTTP/2: a new extended CONNECT stream on an h2c session opened
//    before the measurement (HPACK-decoded fields, Upgrader.upgradeExtendedConnect, the 200 in
//    HEADERS), acceptHttp2Stream on a node:http2 server. Beside each, its floor: the same
//    server answering a canned 101 or 200 without looking at the request, what node:net and
//    node:http2 cost alone. Each WebSocket is closed by the client right after the server's
//    answer, and the close is counted in for both: the client ends its side (TCP FIN,
//    END_STREAM), the server ends its own in turn, the client waits for the close, and the
//    server reports its CPU only once it has seen every connection or stream it accepted closed.
// 2. Echo: server CPU per message, the same server logic on both (examples/lib/echo.ts's
//    echoMessages: DataReader + BatchWriter) over a TCP socket and over an HTTP/2 stream, with
//    node:http2's default flow-control windows (65,535 bytes), with large ones, and with a
//    session per WebSocket instead of all on one; the same client loop sends the same prebuilt
//    masked frames on both (lib/duplex-echo-load.ts), on connections kept open from the
//    warm-up to the end.
//
// Servers run in child processes and report their own CPU time (process.cpuUsage); the clients
// run in this process. Kinds alternate in rotating rounds; each kind's best round is shown, and
// beside it the median over rounds of h2 / HTTP/1.1 measured next to each other. Not a test.
//
//   pnpm --filter bench run http2
//   HANDSHAKES=N ROUNDS=N SIZES=32,16384 MESSAGES_SCALE=1 PART=handshake|echo
//   SERVERS=http/1.1,h2c,... (the echo's kinds; http/1.1 first)
import { once } from 'node:events'
import { createServer as createHttp2Server, type IncomingHttpHeaders, type ServerHttp2Session, type ServerHttp2Stream } from 'node:http2'
import { connect, createServer } from 'node:net'
import { fileURLToPath } from 'node:url'
import { compileFrame, maskFrame, newBinaryFrame, Upgrader } from '@ws-toolkit/ws-core'
import { acceptHttp2Stream, acceptSocket } from '@ws-toolkit/ws-util'
import { echoMessages } from '../examples/lib/echo.ts'
import { DuplexEchoLoad, extendedConnect, type Http2ClientOptions, openSession } from './lib/duplex-echo-load.js'
import { machine } from './lib/machine.js'
import { table, writeResult } from './lib/measure.js'
import { measureServer, reportUsage, rotatingRounds, serverProcess } from './lib/server-process.js'

/**
 * The kinds of server: HTTP/1.1 on net; h2c with node:http2's default windows, all the echo's
 * WebSockets on one session (as a browser puts every WebSocket to an origin); the same with
 * large windows; and with default windows but a session per WebSocket (one stream on each TCP
 * connection, as HTTP/1.1 has it: the framing without the multiplexing).
 */
type HandshakeKind = 'http/1.1 floor' | 'http/1.1' | 'h2c floor' | 'h2c'
type EchoKind = 'http/1.1' | 'h2c' | 'h2c big windows' | 'h2c session each'

/** The windows of the `big windows` kind, both sides: 1 MiB per stream, 8 MiB per session. */
const bigWindows: Required<Http2ClientOptions> = { streamWindow: 1 << 20, sessionWindow: 8 << 20 }

/** A request like Chromium's: 12 header fields (as handshake.ts sends it). */
const browserRequest = Buffer.from([
  'GET /chat?room=42 HTTP/1.1', 'Host: 127.0.0.1:8080', 'Connection: Upgrade', 'Pragma: no-cache', 'Cache-Control: no-cache',
  'User-Agent: Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/156.0.0.0 Safari/537.36',
  'Upgrade: websocket', 'Origin: http://127.0.0.1:8080', 'Sec-WebSocket-Version: 13', 'Accept-Encoding: gzip, deflate, br, zstd',
  'Accept-Language: en-US,en;q=0.9', 'Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==', 'Sec-WebSocket-Extensions: permessage-deflate; client_max_window_bits',
  '', '',
].join('\r\n'), 'latin1')

/** listen starts `server` on 127.0.0.1, a free port, and resolves with the port. */
function listen(server: { listen(port: number, host: string, done: () => void): unknown; address(): unknown }): Promise<number> {
  return new Promise((resolve) => server.listen(0, '127.0.0.1', () => resolve((server.address() as { port: number }).port)))
}

/** http2Server is a cleartext node:http2 server allowing extended CONNECT (RFC 8441 §3), with large windows when asked. */
function http2Server(big: boolean) {
  const server = createHttp2Server({ settings: { enableConnectProtocol: true, ...(big ? { initialWindowSize: bigWindows.streamWindow } : {}) } })
  server.on('session', (session: ServerHttp2Session) => {
    session.on('error', () => {})
    if (big) session.setLocalWindowSize(bigWindows.sessionWindow)
  })
  server.on('sessionError', () => {})
  return server
}

/**
 * serveHandshakes starts a handshake server of `kind` in this (child) process: every WebSocket
 * accepted, then left to the client, which closes it. It counts what it accepted and what has
 * closed since, and answers the parent's 'cpu' with its CPU time once all are closed (or after
 * 10 s, saying how many were not).
 */
async function serveHandshakes(kind: HandshakeKind): Promise<void> {
  const upgrader = new Upgrader()
  let accepted = 0
  let closed = 0
  let waiting: (() => void) | null = null
  const onClose = () => {
    closed++
    if (closed === accepted && waiting !== null) waiting()
  }
  let port: number
  if (kind === 'http/1.1 floor') {
    // What node:net costs: a canned 101 for the first chunk, nothing parsed, no key hashed.
    const canned = Buffer.from('HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\nConnection: Upgrade\r\nSec-WebSocket-Accept: s3pPLMBiTxaQ9kYGzzhZRbK+xOo=\r\n\r\n')
    port = await listen(createServer((socket) => {
      accepted++
      socket.on('error', () => {})
      socket.on('close', onClose)
      socket.once('data', () => socket.write(canned))
    }))
  } else if (kind === 'h2c floor') {
    // What node:http2 costs: every stream answered 200, its fields not looked at.
    const server = http2Server(false)
    server.on('stream', (stream: ServerHttp2Stream) => {
      accepted++
      stream.on('close', onClose)
      stream.on('error', () => {})
      stream.respond({ ':status': 200 })
      stream.on('end', endStream).resume()
    })
    port = await listen(server)
  } else if (kind === 'http/1.1') {
    port = await listen(createServer((socket) => {
      accepted++
      socket.on('error', () => {})
      socket.on('close', onClose)
      acceptSocket(socket, upgrader).then(({ socket }) => socket.resume(), () => {})
    }))
  } else {
    const server = http2Server(false)
    server.on('stream', (stream: ServerHttp2Stream, _headers: IncomingHttpHeaders, _flags: number, rawHeaders: string[]) => {
      accepted++
      stream.on('close', onClose)
      try {
        // A client's END_STREAM answered with ours, as node:net ends a socket on the peer's FIN.
        acceptHttp2Stream(stream, rawHeaders, upgrader).socket.on('end', endStream).resume()
      } catch {
        // refused and answered (none is, here)
      }
    })
    port = await listen(server)
  }
  process.on('message', () => {
    const report = () => {
      clearTimeout(timer)
      waiting = null
      const cpu = process.cpuUsage()
      process.send!({ cpuMicros: cpu.user + cpu.system, open: accepted - closed })
    }
    const timer = setTimeout(report, 10_000)
    if (closed === accepted) report()
    else waiting = report
  })
  process.send!({ port })
}

/** endStream ends the stream it is called on (a shared 'end' listener). */
function endStream(this: ServerHttp2Stream): void {
  this.end()
}

/** One handshake server child, and how to ask it for its CPU time once every WebSocket it accepted has closed. */
async function startHandshakeServer(kind: HandshakeKind) {
  const { child, port } = await serverProcess(fileURLToPath(import.meta.url), `handshake:${kind}`)
  const cpu = async () => {
    child.send('cpu')
    const [{ cpuMicros, open }] = (await once(child, 'message')) as [{ cpuMicros: number; open: number }]
    if (open !== 0) throw new Error(`${kind}: ${open} WebSockets still open 10 s after the last handshake`)
    return cpuMicros
  }
  return { child, port, cpu }
}

/** Concurrent handshakes: 16 in all, as handshake.ts (HTTP/2: 4 sessions, 4 streams at a time on each). */
const concurrency = 16
const sessions = 4

/**
 * http1Handshakes runs `total` HTTP/1.1 handshakes, each on a new TCP connection that the
 * client ends (FIN) after the 101 and the server ends in turn (node:net's default, no
 * half-open sockets); each done when the socket has closed. Returns seconds.
 */
async function http1Handshakes(port: number, total: number): Promise<number> {
  let started = 0
  const one = () => new Promise<void>((resolve, reject) => {
    const socket = connect(port, '127.0.0.1', () => socket.write(browserRequest))
    let received = ''
    socket.setEncoding('latin1')
    socket.on('data', (chunk) => {
      received += chunk
      if (!received.includes('\r\n\r\n')) return
      if (!received.startsWith('HTTP/1.1 101')) reject(new Error(received))
      // The client's TIME_WAIT this leaves is reused on loopback (Linux's tcp_tw_reuse default, 2).
      socket.end()
    })
    socket.on('close', () => resolve())
    socket.on('error', reject)
  })
  const worker = async () => {
    while (started < total) {
      started++
      await one()
    }
  }
  const start = process.hrtime.bigint()
  await Promise.all(Array.from({ length: concurrency }, worker))
  return Number(process.hrtime.bigint() - start) / 1e9
}

/**
 * http2Handshakes runs `total` extended CONNECT handshakes on the open `clients`, each stream
 * ended by the client (END_STREAM) after its 200 and by the server in turn; each done when the
 * stream has closed. Returns seconds. Not a reset (RST_STREAM): nghttp2 ends with GOAWAY a
 * session whose client resets more than about 1,000 streams in a burst (its rapid-reset
 * limit, CVE-2023-44487), with NO_ERROR as with CANCEL.
 */
async function http2Handshakes(port: number, clients: Awaited<ReturnType<typeof openSession>>[], total: number): Promise<number> {
  let started = 0
  const headers = extendedConnect(port, '/chat?room=42')
  const one = (client: (typeof clients)[number]) => new Promise<void>((resolve, reject) => {
    const stream = client.request(headers, { endStream: false })
    stream.on('error', reject)
    stream.once('response', (response: IncomingHttpHeaders) => {
      if (Number(response[':status']) !== 200) reject(new Error(`status ${response[':status']}`))
      stream.end()
      stream.resume()
    })
    stream.on('close', () => resolve())
  })
  const worker = async (client: (typeof clients)[number]) => {
    while (started < total) {
      started++
      await one(client)
    }
  }
  const start = process.hrtime.bigint()
  await Promise.all(Array.from({ length: concurrency }, (_, i) => worker(clients[i % clients.length]!)))
  return Number(process.hrtime.bigint() - start) / 1e9
}

async function runHandshakes(kind: HandshakeKind, total: number) {
  const server = await startHandshakeServer(kind)
  const h2 = kind.startsWith('h2c')
  const clients = h2 ? await Promise.all(Array.from({ length: sessions }, () => openSession(server.port))) : []
  const drive = (count: number) => (h2 ? http2Handshakes(server.port, clients, count) : http1Handshakes(server.port, count))
  try {
    await drive(1000) // warm-up
    const before = await server.cpu()
    const seconds = await drive(total)
    const cpuMicros = (await server.cpu()) - before
    return { kind, perSecond: total / seconds, cpuMicrosPerHandshake: cpuMicros / total }
  } finally {
    for (const client of clients) client.destroy()
    server.child.kill()
  }
}

/** serveEcho starts an echo server of `kind` in this (child) process: echoMessages on every WebSocket, as echo.ts runs it. */
async function serveEcho(kind: EchoKind): Promise<void> {
  const upgrader = new Upgrader()
  let port: number
  if (kind === 'http/1.1') {
    port = await listen(createServer((socket) => {
      socket.on('error', () => {})
      acceptSocket(socket, upgrader).then(({ socket, head }) => echoMessages(socket, head), () => {})
    }))
  } else {
    const server = http2Server(kind === 'h2c big windows')
    server.on('stream', (stream: ServerHttp2Stream, _headers: IncomingHttpHeaders, _flags: number, rawHeaders: string[]) => {
      try {
        const { socket, head } = acceptHttp2Stream(stream, rawHeaders, upgrader)
        echoMessages(socket, head)
      } catch {
        // refused and answered (none is, here)
      }
    })
    port = await listen(server)
  }
  reportUsage(port)
}

/** An echo case: `messages` of `size` bytes over `connections` WebSockets, `inFlight` outstanding on each. */
interface EchoCase { size: number; connections: number; inFlight: number; messages: number }

async function runEcho(kind: EchoKind, load: EchoCase) {
  const { child, port } = await serverProcess(fileURLToPath(import.meta.url), `echo:${kind}`)
  const frame = compileFrame(maskFrame(newBinaryFrame(new Uint8Array(load.size).fill(7))))
  try {
    const connections = kind === 'http/1.1'
      ? await DuplexEchoLoad.http1(port, load.connections, load.inFlight, frame)
      : kind === 'h2c session each'
        ? await DuplexEchoLoad.http2(port, load.connections, 1, load.inFlight, frame)
        : await DuplexEchoLoad.http2(port, 1, load.connections, load.inFlight, frame, kind === 'h2c big windows' ? bigWindows : {})
    try {
      await connections.run(Math.max(2 * load.connections * load.inFlight, load.messages >> 2)) // warm-up, on the same connections
      const { seconds, cpuMicros, allocated } = await measureServer(child, () => connections.run(load.messages))
      return { kind, ...load, perSecond: load.messages / seconds, cpuMicrosPerMessage: cpuMicros / load.messages, allocatedPerMessage: allocated / load.messages }
    } finally {
      connections.close()
    }
  } finally {
    child.kill()
  }
}

/** median of `values`; NaN for none. */
function median(values: number[]): number {
  const sorted = [...values].sort((a, b) => a - b)
  const middle = sorted.length >> 1
  return sorted.length === 0 ? NaN : sorted.length % 2 === 1 ? sorted[middle]! : (sorted[middle - 1]! + sorted[middle]!) / 2
}

const x = (ratio: number) => `${ratio.toFixed(2)}x`
const sizeText = (bytes: number) => (bytes >= 1024 && bytes % 1024 === 0 ? `${bytes / 1024} KiB` : `${bytes} B`)

async function handshakePart(rounds: number) {
  const total = Number(process.env.HANDSHAKES ?? 8000)
  const kinds: HandshakeKind[] = ['http/1.1 floor', 'http/1.1', 'h2c floor', 'h2c']
  const samples = await rotatingRounds(kinds, rounds, (kind) => runHandshakes(kind, total))
  const summaries = samples.map((all) => ({
    best: all.reduce((a, b) => (a.cpuMicrosPerHandshake <= b.cpuMicrosPerHandshake ? a : b)),
    rounds: all.map((r) => r.cpuMicrosPerHandshake),
    perSecond: Math.max(...all.map((r) => r.perSecond)),
  }))
  const h1 = summaries[1]!
  const names: Record<HandshakeKind, string> = {
    'http/1.1 floor': 'HTTP/1.1 floor: new TCP connection, canned 101',
    'http/1.1': 'HTTP/1.1: new TCP connection, acceptSocket on net',
    'h2c floor': 'h2c floor: new stream on an open session, canned 200',
    h2c: 'h2c: new stream on an open session, acceptHttp2Stream',
  }
  const servers = summaries.map((s) => ({
    kind: s.best.kind, perSecond: s.perSecond, cpuMicrosPerHandshake: s.best.cpuMicrosPerHandshake, roundsCpuMicrosPerHandshake: s.rounds,
    ratio: s.best.cpuMicrosPerHandshake / h1.best.cpuMicrosPerHandshake, medianRoundRatio: median(s.rounds.map((cpu, i) => cpu / h1.rounds[i]!)),
  }))
  console.log(`opening handshakes: ${rounds} rounds of ${total}, ${concurrency} at a time (HTTP/2: on ${sessions} sessions opened before), each ended by the client after the answer and by the server in turn, the close counted in; best round\n`)
  table(['server', 'handshakes/s', 'server CPU µs/handshake', '(each round)', 'vs HTTP/1.1', '(median round)'], servers.map((s) => [
    names[s.kind], s.perSecond.toFixed(0), s.cpuMicrosPerHandshake.toFixed(1), s.roundsCpuMicrosPerHandshake.map((r) => r.toFixed(1)).join(' '), x(s.ratio), x(s.medianRoundRatio),
  ]))
  const h2 = servers[3]!
  return {
    total, rounds, concurrency, sessions, close: 'counted in: the client ends its side (FIN, END_STREAM) after the answer, the server ends its own',
    servers, ratio: h2.ratio, medianRoundRatio: h2.medianRoundRatio,
  }
}

async function echoPart(rounds: number) {
  const sizes = process.env.SIZES?.split(',').map(Number) ?? [32, 16 * 1024]
  const scale = Number(process.env.MESSAGES_SCALE ?? 1)
  const kinds = (process.env.SERVERS?.split(',') ?? ['http/1.1', 'h2c', 'h2c session each', 'h2c big windows']) as EchoKind[]
  if (kinds[0] !== 'http/1.1') throw new Error('SERVERS must start with http/1.1, the reference')
  const rows: string[][] = []
  const results: object[] = []
  for (const size of sizes) {
    // 40,000 small messages; 128 MiB of large ones (8,192 of 16 KiB).
    const load: EchoCase = { size, connections: 4, inFlight: 4, messages: Math.round(scale * Math.min(40000, Math.max(1024, (128 << 20) / size))) }
    // Large windows change nothing where a stream's messages in flight fill no window (flow
    // control never waits): measured from 4 KiB (4 in flight, 16 KiB and more).
    const these = size < 4096 ? kinds.filter((kind) => kind !== 'h2c big windows') : kinds
    const samples = await rotatingRounds(these, rounds, (kind) => runEcho(kind, load))
    const h1 = samples[0]!
    samples.forEach((all, i) => {
      const best = all.reduce((a, b) => (a.cpuMicrosPerMessage <= b.cpuMicrosPerMessage ? a : b))
      const bestH1 = h1.reduce((a, b) => (a.cpuMicrosPerMessage <= b.cpuMicrosPerMessage ? a : b))
      const medianRatio = median(all.map((r, round) => r.cpuMicrosPerMessage / h1[round]!.cpuMicrosPerMessage))
      const perSecond = Math.max(...all.map((r) => r.perSecond))
      rows.push([
        `${sizeText(size)} x${load.connections}`, these[i]!, perSecond.toFixed(0), best.cpuMicrosPerMessage.toFixed(2),
        all.map((r) => r.cpuMicrosPerMessage.toFixed(2)).join(' '), x(best.cpuMicrosPerMessage / bestH1.cpuMicrosPerMessage), i === 0 ? '-' : x(medianRatio),
        best.allocatedPerMessage.toFixed(0),
      ])
      results.push({
        ...best, perSecond, roundsCpuMicrosPerMessage: all.map((r) => r.cpuMicrosPerMessage),
        ratio: best.cpuMicrosPerMessage / bestH1.cpuMicrosPerMessage, medianRoundRatio: i === 0 ? 1 : medianRatio,
      })
    })
    console.error(`done: echo ${sizeText(size)}`)
  }
  console.log(`\necho (examples/lib/echo.ts's echoMessages on both): ${rounds} rounds, 4 WebSockets (h2c: 4 streams on one session; session each: 4 sessions), 4 messages in flight on each; best round\n`)
  table(['size x WebSockets', 'server', 'messages/s', 'server CPU µs/msg', '(each round)', 'vs HTTP/1.1', '(median round)', 'heap B/msg'], rows)
  return { rounds, connections: 4, inFlight: 4, windows: { default: 65535, big: bigWindows }, results }
}

if (process.argv[2] === '--serve') {
  const [part, kind] = process.argv[3]!.split(/:(.*)/s) as [string, string]
  if (part === 'handshake') await serveHandshakes(kind as HandshakeKind)
  else await serveEcho(kind as EchoKind)
} else {
  const rounds = Number(process.env.ROUNDS ?? 3)
  const part = process.env.PART ?? 'all'
  const started = new Date()
  const m = machine()
  console.log(`WebSockets over HTTP/2 (RFC 8441) vs HTTP/1.1, ${started.toISOString().slice(0, 16).replace('T', ' ')} UTC, ${m.cpu}, ${m.cores} cores, ${m.os}, Node.js ${m.node}\n`)
  const handshake = part === 'echo' ? null : await handshakePart(rounds)
  const echo = part === 'handshake' ? null : await echoPart(rounds)
  console.log(`\n${Math.round((Date.now() - started.getTime()) / 1000)} s`)
  writeResult('http2', { handshake, echo })
}
