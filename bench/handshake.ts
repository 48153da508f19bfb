// Opening handshakes per second and server CPU per handshake: ws-core's Upgrader on a raw
// net.Server (acceptSocket) and behind node:http (acceptHttpUpgrade), against ws's
// WebSocketServer, in one run. Each server runs in a child process and reports its own CPU
// time; the load comes from raw sockets in this process (a prebuilt request, read until the
// end of the response head, then close), cheaper than any WebSocket client. Also: how fast
// the Upgrader parses a typical browser request. Not a test.
import { once } from 'node:events'
import { createServer as createHttpServer } from 'node:http'
import { connect, createServer } from 'node:net'
import { fileURLToPath } from 'node:url'
import { Upgrader } from '@ws-toolkit/ws-core'
import { acceptHttpUpgrade, acceptSocket } from '@ws-toolkit/ws-util'
import { WebSocketServer } from 'ws'
import { measure, table, writeResult } from './lib/measure.js'
import { rotatingRounds, serverProcess } from './lib/server-process.js'

type Kind = 'limit' | 'ws-core net' | 'ws-core http' | 'ws' | 'ws+bufferutil'

/** A request like Chromium's: 12 header fields. */
const browserRequest = Buffer.from([
  'GET /chat?room=42 HTTP/1.1', 'Host: 127.0.0.1:8080', 'Connection: Upgrade', 'Pragma: no-cache', 'Cache-Control: no-cache',
  'User-Agent: Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/156.0.0.0 Safari/537.36',
  'Upgrade: websocket', 'Origin: http://127.0.0.1:8080', 'Sec-WebSocket-Version: 13', 'Accept-Encoding: gzip, deflate, br, zstd',
  'Accept-Language: en-US,en;q=0.9', 'Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==', 'Sec-WebSocket-Extensions: permessage-deflate; client_max_window_bits',
  '', '',
].join('\r\n'), 'latin1')

function serve(kind: Kind): void {
  const upgrader = new Upgrader()
  let listening: Promise<number>
  if (kind === 'limit') {
    // The floor: accept, read one chunk, write a canned 101, parse nothing.
    const canned = Buffer.from('HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\nConnection: Upgrade\r\nSec-WebSocket-Accept: s3pPLMBiTxaQ9kYGzzhZRbK+xOo=\r\n\r\n')
    const server = createServer((socket) => {
      socket.once('data', () => socket.write(canned))
      socket.on('error', () => {})
    })
    listening = new Promise((resolve) => server.listen(0, '127.0.0.1', () => resolve((server.address() as { port: number }).port)))
  } else if (kind === 'ws-core net') {
    const server = createServer((socket) => {
      acceptSocket(socket, upgrader).then(({ socket }) => socket.resume(), () => {})
      socket.on('error', () => {})
    })
    listening = new Promise((resolve) => server.listen(0, '127.0.0.1', () => resolve((server.address() as { port: number }).port)))
  } else if (kind === 'ws-core http') {
    const server = createHttpServer()
    server.on('upgrade', (req, socket, head) => {
      socket.on('error', () => {})
      acceptHttpUpgrade(req, socket, head, upgrader).socket.resume()
    })
    listening = new Promise((resolve) => server.listen(0, '127.0.0.1', () => resolve((server.address() as { port: number }).port)))
  } else {
    const server = new WebSocketServer({ host: '127.0.0.1', port: 0, perMessageDeflate: false })
    server.on('connection', (ws) => ws.on('error', () => {}))
    listening = once(server, 'listening').then(() => (server.address() as { port: number }).port)
  }
  listening.then((port) => process.send!({ port }))
  process.on('message', () => process.send!({ cpu: process.cpuUsage() }))
}

/** handshakes runs `total` handshakes against `port`, `concurrency` at a time, and returns the seconds taken. */
async function handshakes(port: number, total: number, concurrency: number): Promise<number> {
  let started = 0
  const one = () => new Promise<void>((resolve, reject) => {
    const socket = connect(port, '127.0.0.1', () => socket.write(browserRequest))
    let received = ''
    socket.setEncoding('latin1')
    socket.on('data', (chunk) => {
      received += chunk
      if (!received.includes('\r\n\r\n')) return
      if (!received.startsWith('HTTP/1.1 101')) reject(new Error(received))
      // A reset leaves no TIME_WAIT behind: tens of thousands of handshakes would otherwise
      // run this machine out of ephemeral ports.
      socket.resetAndDestroy()
      resolve()
    })
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

async function run(kind: Kind, total: number) {
  const { child, port } = await serverProcess(fileURLToPath(import.meta.url), kind)
  try {
    const cpu = async () => {
      child.send('cpu')
      const [{ cpu }] = (await once(child, 'message')) as [{ cpu: NodeJS.CpuUsage }]
      return cpu.user + cpu.system
    }
    await handshakes(port, 500, 8) // warm-up
    const before = await cpu()
    const seconds = await handshakes(port, total, 16)
    const cpuMicros = (await cpu()) - before
    return { kind, perSecond: total / seconds, cpuMicrosPerHandshake: cpuMicros / total }
  } finally {
    child.kill()
  }
}

if (process.argv[2] === '--serve') {
  serve(process.argv[3] as Kind)
} else {
  const total = Number(process.env.HANDSHAKES ?? 5000)
  const rounds = Number(process.env.ROUNDS ?? 3)
  const kinds: Kind[] = ['limit', 'ws-core net', 'ws-core http', 'ws', 'ws+bufferutil']
  const samples = await rotatingRounds(kinds, rounds, (kind) => run(kind, total))
  const results = samples.map((all) => {
    const best = all.reduce((a, b) => (a.cpuMicrosPerHandshake <= b.cpuMicrosPerHandshake ? a : b))
    const worst = Math.max(...all.map((r) => r.cpuMicrosPerHandshake))
    return { ...best, worstCpuMicrosPerHandshake: worst, perSecond: Math.max(...all.map((r) => r.perSecond)) }
  })
  const ws = results.find((r) => r.kind === 'ws+bufferutil')!
  console.log(`opening handshakes: ${rounds} rounds of ${total} over 16 concurrent loopback connections, Chromium-like request; best round\n`)
  table(['server', 'handshakes/s', 'server CPU µs/handshake', '(worst round)', 'CPU vs ws'], results.map((r) => [
    r.kind, r.perSecond.toFixed(0), r.cpuMicrosPerHandshake.toFixed(1), r.worstCpuMicrosPerHandshake.toFixed(1),
    `${(r.cpuMicrosPerHandshake / ws.cpuMicrosPerHandshake).toFixed(2)}x`,
  ]))
  const upgrader = new Upgrader()
  const parses = measure(() => {
    if (upgrader.upgrade(browserRequest, 0).kind !== 'accepted') throw new Error('not accepted')
  })
  console.log(`\nUpgrader.upgrade on that request (${browserRequest.length} bytes, 12 fields): ${(parses / 1000).toFixed(0)}k/s, ${(1e6 / parses).toFixed(2)} µs each`)
  writeResult('handshake', { total, rounds, servers: results, upgraderParsesPerSecond: parses })
}
