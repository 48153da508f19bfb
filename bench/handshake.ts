// Opening handshakes per second and server CPU per handshake: ws-core's Upgrader on a raw
// net.Server (acceptSocket) and behind node:http (acceptHttpUpgrade), against ws's
// WebSocketServer, in one run. Each server runs in a child process and reports its own CPU
// time; the load comes from raw sockets in this process (a prebuilt request, read until the
// end of the response head, then close), cheaper than any WebSocket client. Also: how fast
// the Upgrader parses a typical browser request.
//
// Then the lifecycle mode: server CPU per connection over its whole life (connect, upgrade,
// one close frame each way, TCP FIN), 32 client loops at once, against ws and Bun's native
// Bun.serve websocket (bench/lib/bun-lifecycle-server.ts, run by the Bun binary that
// packages/runtimes installs). MODE=upgrade|lifecycle runs one part. Not a test.
import { type ChildProcess, spawn } from 'node:child_process'
import { once } from 'node:events'
import { readFileSync } from 'node:fs'
import { createServer as createHttpServer } from 'node:http'
import { createRequire } from 'node:module'
import { connect, createServer, type Socket } from 'node:net'
import { dirname, join } from 'node:path'
import { fileURLToPath } from 'node:url'
import { Upgrader } from '@ws-toolkit/ws-core'
import { acceptHttpUpgrade, acceptSocket } from '@ws-toolkit/ws-util'
import { WebSocketServer } from 'ws'
import { echoMessages } from '../examples/lib/echo.ts'
import { measure, table, writeResult } from './lib/measure.js'
import { rotatingRounds, serveExample, serverProcess } from './lib/server-process.js'

type Kind = 'limit' | 'ws-core net' | 'ws-core http' | 'ws' | 'ws+bufferutil'
/** The lifecycle servers: `limit` is the floor (canned 101, canned close, end), `echo.ts` the example as it ships. */
type LifecycleKind = 'limit' | 'ws-core net' | 'ws-core http' | 'echo.ts' | 'ws+bufferutil' | 'bun'

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

/** The client's close frame: 1000, masked (RFC 6455 §5.3), as every client must send it. */
const clientClose = (() => {
  const mask = [0x37, 0xfa, 0x21, 0x3d]
  return Buffer.from([0x88, 0x82, ...mask, 0x03 ^ mask[0]!, 0xe8 ^ mask[1]!])
})()
/** The server's answer: its close frame with the same code, unmasked. */
const serverClose = Buffer.from([0x88, 0x02, 0x03, 0xe8])

/** listenOn listens on 127.0.0.1, a free port, and resolves with it. */
function listenOn(server: { listen(port: number, host: string, done: () => void): unknown; address(): unknown }): Promise<number> {
  return new Promise((resolve) => server.listen(0, '127.0.0.1', () => resolve((server.address() as { port: number }).port)))
}

/**
 * serveLifecycle starts a lifecycle server of `kind` in this (child) process, as an
 * application would write it, and sends the parent its port; it answers each message with
 * its CPU time.
 */
async function serveLifecycle(kind: Exclude<LifecycleKind, 'bun'>): Promise<void> {
  const upgrader = new Upgrader()
  let port: number
  if (kind === 'limit') {
    // The floor: a canned 101 for the first chunk, a canned close and a FIN for the next.
    const canned = Buffer.from('HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\nConnection: Upgrade\r\nSec-WebSocket-Accept: s3pPLMBiTxaQ9kYGzzhZRbK+xOo=\r\n\r\n')
    port = await listenOn(createServer((socket) => {
      let upgraded = false
      socket.on('data', () => {
        if (upgraded) socket.end(serverClose)
        else socket.write(canned)
        upgraded = true
      })
      socket.on('error', () => {})
    }))
  } else if (kind === 'ws-core net') {
    // acceptSocket, then DataReader + BatchWriter (examples/lib/echo.ts), which answers the
    // close and ends TCP.
    port = await listenOn(createServer((socket) => {
      acceptSocket(socket, upgrader).then(({ socket, head }) => echoMessages(socket, head), () => {})
    }))
  } else if (kind === 'ws-core http') {
    const server = createHttpServer()
    server.on('upgrade', (req, socket, head) => {
      try {
        echoMessages(socket, acceptHttpUpgrade(req, socket, head, upgrader).head)
      } catch {
        // refused and answered
      }
    })
    port = await listenOn(server)
  } else if (kind === 'echo.ts') {
    port = await serveExample('echo.ts', [])
  } else {
    const server = new WebSocketServer({ host: '127.0.0.1', port: 0, perMessageDeflate: false })
    server.on('connection', (ws) => ws.on('error', () => {}))
    await once(server, 'listening')
    port = (server.address() as { port: number }).port
  }
  process.on('message', () => process.send!({ cpu: process.cpuUsage() }))
  process.send!({ port })
}

/** LifecycleCount says how connections ended: `serverFirst` when the server's FIN came first, as RFC 6455 §7.1.1 wants. */
interface LifecycleCount { serverFirst: number; clientFirst: number }

/** How long a client waits for the server's FIN after both close frames before it ends TCP itself. */
const finWaitMs = 2000

/**
 * lifecycle runs one connection's life against `port`: connect, the Chromium-like request,
 * the 101, a masked close (1000), the server's close, then the server's FIN, answered with
 * ours (Node ends a socket that is not half-open on 'end'). A server that sends no FIN within
 * finWaitMs is ended by the client (counted in `clientFirst`).
 */
function lifecycle(port: number, count: LifecycleCount): Promise<void> {
  return new Promise((resolve, reject) => {
    const socket: Socket = connect(port, '127.0.0.1', () => socket.write(browserRequest))
    let received: Buffer | null = null
    let upgraded = false
    let closed = false
    let timer: NodeJS.Timeout | undefined
    let clientEnded = false
    socket.on('data', (chunk: Buffer) => {
      received = received === null ? chunk : Buffer.concat([received, chunk])
      if (!upgraded) {
        const end = received.indexOf('\r\n\r\n')
        if (end === -1) return
        if (received.toString('latin1', 0, 12) !== 'HTTP/1.1 101') return reject(new Error(received.toString('latin1')))
        upgraded = true
        received = received.subarray(end + 4)
        socket.write(clientClose)
      }
      if (!closed && received.length >= serverClose.length) {
        if (!received.subarray(0, serverClose.length).equals(serverClose)) return reject(new Error(`not a close 1000: ${received.toString('hex')}`))
        closed = true
        timer = setTimeout(() => {
          clientEnded = true
          count.clientFirst++
          socket.end()
        }, finWaitMs)
      }
    })
    socket.on('end', () => {
      if (!closed) return reject(new Error('the server ended TCP before its close frame'))
      clearTimeout(timer)
      if (!clientEnded) count.serverFirst++
    })
    socket.on('close', () => resolve())
    socket.on('error', reject)
  })
}

/** lifecycles runs `total` lifecycles against `port`, `concurrency` loops at once, and returns the seconds taken. */
async function lifecycles(port: number, total: number, concurrency: number, count: LifecycleCount): Promise<number> {
  let started = 0
  const worker = async () => {
    while (started < total) {
      started++
      await lifecycle(port, count)
    }
  }
  const start = process.hrtime.bigint()
  await Promise.all(Array.from({ length: concurrency }, worker))
  return Number(process.hrtime.bigint() - start) / 1e9
}

/** bunBinary is the Bun that packages/runtimes installs from npm (as its tests find it). */
function bunBinary(): string {
  const require = createRequire(fileURLToPath(new URL('../packages/runtimes/package.json', import.meta.url)))
  return join(dirname(require.resolve('bun/package.json')), 'bin', 'bun.exe')
}

/** A lifecycle server child and how to ask it for its CPU time (µs, user + system). */
interface LifecycleServer { child: ChildProcess; port: number; cpu(): Promise<number> }

async function startLifecycleServer(kind: LifecycleKind): Promise<LifecycleServer> {
  if (kind === 'bun') {
    const child = spawn(bunBinary(), [fileURLToPath(new URL('./lib/bun-lifecycle-server.ts', import.meta.url))], { stdio: ['ignore', 'pipe', 'inherit'] })
    const port = await new Promise<number>((resolve, reject) => {
      let out = ''
      child.stdout!.setEncoding('utf8').on('data', (text: string) => {
        out += text
        const match = /listening on 127\.0\.0\.1:(\d+)/.exec(out)
        if (match) resolve(Number(match[1]))
      })
      child.once('exit', (code) => reject(new Error(`bun exited (${code}) before listening: ${out}`)))
    })
    const cpu = async () => {
      const usage = (await (await fetch(`http://127.0.0.1:${port}/cpu`)).json()) as NodeJS.CpuUsage
      return usage.user + usage.system
    }
    return { child, port, cpu }
  }
  const { child, port } = await serverProcess(fileURLToPath(import.meta.url), `lifecycle:${kind}`)
  const cpu = async () => {
    child.send('cpu')
    const [{ cpu }] = (await once(child, 'message')) as [{ cpu: NodeJS.CpuUsage }]
    return cpu.user + cpu.system
  }
  return { child, port, cpu }
}

/**
 * procCpuMicros is the CPU time (user + system, µs) of process `pid` as the kernel counts it
 * (/proc/PID/stat, in clock ticks of 10 ms), or null where there is no /proc: a check on what
 * each server reports of itself, the same for Node.js and Bun.
 */
function procCpuMicros(pid: number | undefined): number | null {
  try {
    const fields = readFileSync(`/proc/${pid}/stat`, 'latin1').replace(/^.*\) /s, '').split(' ')
    // After "pid (comm) ", fields start at state (field 3): utime is field 14, stime 15.
    return ((Number(fields[11]) + Number(fields[12])) * 1e6) / 100
  } catch {
    return null
  }
}

/** Lifecycle loops run at once. */
const lifecycleConcurrency = 32

async function runLifecycle(kind: LifecycleKind, total: number) {
  const server = await startLifecycleServer(kind)
  try {
    await lifecycles(server.port, 500, 8, { serverFirst: 0, clientFirst: 0 }) // warm-up
    const count = { serverFirst: 0, clientFirst: 0 }
    const before = await server.cpu()
    const procBefore = procCpuMicros(server.child.pid)
    const seconds = await lifecycles(server.port, total, lifecycleConcurrency, count)
    const procAfter = procCpuMicros(server.child.pid)
    const cpuMicros = (await server.cpu()) - before
    const procCpuMicrosPerConnection = procBefore === null || procAfter === null ? null : (procAfter - procBefore) / total
    return { kind, perSecond: total / seconds, cpuMicrosPerConnection: cpuMicros / total, procCpuMicrosPerConnection, ...count }
  } finally {
    server.child.kill()
  }
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

async function upgradeAlone(): Promise<unknown> {
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
  return { total, rounds, servers: results, upgraderParsesPerSecond: parses }
}

async function wholeLifecycle(): Promise<unknown> {
  const total = Number(process.env.LIFECYCLES ?? 5000)
  const rounds = Number(process.env.ROUNDS ?? 3)
  const kinds: LifecycleKind[] = ['limit', 'ws-core net', 'ws-core http', 'echo.ts', 'ws+bufferutil', 'bun']
  const samples = await rotatingRounds(kinds, rounds, (kind) => runLifecycle(kind, total))
  const results = samples.map((all) => {
    const best = all.reduce((a, b) => (a.cpuMicrosPerConnection <= b.cpuMicrosPerConnection ? a : b))
    const cpus = all.map((r) => r.cpuMicrosPerConnection).sort((a, b) => a - b)
    return {
      ...best, medianCpuMicrosPerConnection: cpus[cpus.length >> 1]!, worstCpuMicrosPerConnection: cpus[cpus.length - 1]!,
      perSecond: Math.max(...all.map((r) => r.perSecond)),
      serverFirst: all.reduce((n, r) => n + r.serverFirst, 0), clientFirst: all.reduce((n, r) => n + r.clientFirst, 0),
    }
  })
  const ws = results.find((r) => r.kind === 'ws+bufferutil')!
  const bun = results.find((r) => r.kind === 'bun')!
  console.log(`\nlifecycles (connect, upgrade, a close frame each way, TCP FIN): ${rounds} rounds of ${total} over ${lifecycleConcurrency} concurrent client loops; best round\n`)
  table(['server', 'lifecycles/s', 'server CPU µs/connection', '(median)', '(worst)', '(/proc, that round)', 'vs ws', 'vs Bun', 'server FIN first'], results.map((r) => [
    r.kind, r.perSecond.toFixed(0), r.cpuMicrosPerConnection.toFixed(1), r.medianCpuMicrosPerConnection.toFixed(1), r.worstCpuMicrosPerConnection.toFixed(1),
    r.procCpuMicrosPerConnection === null ? '-' : r.procCpuMicrosPerConnection.toFixed(0),
    `${(r.cpuMicrosPerConnection / ws.cpuMicrosPerConnection).toFixed(2)}x`, `${(r.cpuMicrosPerConnection / bun.cpuMicrosPerConnection).toFixed(2)}x`,
    `${r.serverFirst}/${r.serverFirst + r.clientFirst}`,
  ]))
  return {
    total, rounds, concurrency: lifecycleConcurrency,
    servers: results.map((r) => ({ ...r, vsWs: r.cpuMicrosPerConnection / ws.cpuMicrosPerConnection, vsBun: r.cpuMicrosPerConnection / bun.cpuMicrosPerConnection })),
  }
}

if (process.argv[2] === '--serve') {
  const kind = process.argv[3]!
  if (kind.startsWith('lifecycle:')) await serveLifecycle(kind.slice('lifecycle:'.length) as Exclude<LifecycleKind, 'bun'>)
  else serve(kind as Kind)
} else {
  const mode = process.env.MODE ?? 'all'
  const upgrade = mode === 'lifecycle' ? null : ((await upgradeAlone()) as Record<string, unknown>)
  const lifecycle = mode === 'upgrade' ? null : await wholeLifecycle()
  // The chart reads `servers` (upgrade alone) at the top, as before the lifecycle mode.
  writeResult('handshake', { ...upgrade, lifecycle })
}
