// Fan-out across server nodes through Redis (issue 17): ws-fanout against the idiomatic `ws`
// equivalent, in one run. 3 nodes, each a child process, share one room of 9,000 members
// (3,000 on each) through one Debian redis-server started here; every message published
// reaches every member.
//
// - ours: packages/ws-fanout's Fanout over its RedisTransport, nodes on ws-util (acceptSocket,
//   BatchWriter, readClientData) as packages/ws-fanout/test/ws-node.ts has them: each message
//   reaches each node once (in an envelope), its frame is built once per node (compressed once
//   for the members whose agreement keeps no server context) and written to every member's
//   BatchWriter (the Subscriber's target).
// - ours-socket: the same node, each Subscriber's target its socket instead of its BatchWriter
//   (the Subscriber interface allows both): the shared frame goes to socket.write as it is.
// - ws: a `ws` WebSocketServer per node (bufferutil loaded), @redis/client on the same Redis:
//   each node subscribes to the room's channel (buffer mode) and, for each message, calls
//   `client.send(data, { binary: false })` for each open member (ws's README broadcast);
//   perMessageDeflate with serverNoContextTakeover. A message a client sends is PUBLISHed.
// - ours-coalesced (SERVERS=...,ours-coalesced, not run by default): ours with the Fanout's
//   `coalesceMs` window (COALESCE_MS, default 50): the messages of a window go to each member's
//   BatchWriter together and leave in one writev. It pays off when a window holds several
//   messages: in `max` (WINDOW of them in flight), not at the steady 2 a second.
// - floor (SERVERS=...,floor, not run by default): what Node costs, for reference: the raw
//   payload through Redis, the frame built once (ws-fanout's MessageFrames) and
//   `socket.write(frame)` to each member's socket: no envelope, no Fanout, no BatchWriter.
//
// Every server offers permessage-deflate without server context takeover; the members offer it
// (`permessage-deflate; client_max_window_bits`, as browsers do) in the `deflate` cases and not
// in the `plain` ones. Members are raw sockets in 2 client processes (lib/fanout-clients.ts)
// that count frames from their headers; one member in SAMPLE_EVERY reads (inflates) each message
// for the publish time in it. Publishers: 3 more connections, one per node, in this process,
// that join no room and send masked JSON chat texts of exactly 64 B or 1 KiB starting with
// `{"t":<µs of the monotonic clock>`, in turn.
//
// Per case (server, plain or deflate, size), on the same connections: a warm-up; then `steady`,
// MESSAGES messages at RATE a second (COMPRESSED_MESSAGES at COMPRESSED_RATE where both servers
// compress: deflate, 1 KiB): server CPU per delivered message (the 3 nodes' process.cpuUsage,
// zlib's threads included, from before the first publish until every member has every
// message), delivery latency (publish to receipt) p50/p99; then `max`, as many messages as fast
// as they go with WINDOW of them not yet everywhere: deliveries/s and CPU. Setups in rotating
// rounds; best round per case, and the median over rounds of each ratio to ws. Not a test.
//
//   pnpm --filter bench run fanout
//   ROUNDS=3 RATE=2 MESSAGES=30 COMPRESSED_RATE=1 COMPRESSED_MESSAGES=20 WARMUP=8 WINDOW=4
//   SIZES=64,1024 SERVERS=ours,ours-socket,ws,floor,ours-coalesced MODES=plain,deflate CLIENTS=9000
//   COALESCE_MS=50
//   SAMPLE_EVERY=10 IDLE_MS=2000 PART=steady|max|all
//   PROFILE=ours (each node of that server writes a V8 CPU profile of each measured phase to
//   bench/results/fanout-prof/SERVER-MODE-SIZE-PHASE-nodeN.cpuprofile)
import { type ChildProcess, fork, spawn } from 'node:child_process'
import { once } from 'node:events'
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs'
import { Session } from 'node:inspector'
import { connect, createServer, type Server, type Socket } from 'node:net'
import { join } from 'node:path'
import { fileURLToPath } from 'node:url'
import { createClient } from '@redis/client'
import { compileFrame, maskFrame, newTextFrame, OpCode, Upgrader } from '@ws-toolkit/ws-core'
import { Fanout, MessageFrames, SharedDeflaters, type Subscriber } from '@ws-toolkit/ws-fanout'
import { RedisTransport } from '@ws-toolkit/ws-fanout/redis'
import { agreementOf, type DeflateAgreement, deflateNegotiator, defaultEngine, PerMessageDeflate } from '@ws-toolkit/ws-flate'
import { acceptSocket, BatchWriter, readClientData } from '@ws-toolkit/ws-util'
import { WebSocket, WebSocketServer } from 'ws'
import { Children, firstMessage, request } from './lib/child-request.js'
import { type ClientCommand, type ClientMessage, type LatencyReport, type OpenReport, runClients } from './lib/fanout-clients.js'
import { machine } from './lib/machine.js'
import { resultsDir, table, writeResult } from './lib/measure.js'

type ServerKind = 'ours' | 'ours-socket' | 'ours-coalesced' | 'ws' | 'floor'
type Mode = 'plain' | 'deflate'

const room = 'lobby'
/** Messages from this size on are compressed by both servers when the members agreed (ours from 128 B, ws's threshold is 1,024 B). */
const compressedSize = 1024
const channelPrefix = 'room:'

/** What a node answers the parent's 'usage': its CPU time so far, members confirmed, and what it counted. */
interface NodeUsage { cpuMicros: number; systemMicros: number; members: number; delivered: number; skipped: number; lost: number }

// ---------------------------------------------------------------------------------------------
// Nodes (child processes)

/** listen starts `server` on 127.0.0.1, a free port, and resolves with the port. */
function listen(server: Server): Promise<number> {
  return new Promise((resolve) => server.listen(0, '127.0.0.1', 1024, () => resolve((server.address() as { port: number }).port)))
}

/** The path a connection asked for: members ask for /room/NAME, publishers for /pub/NAME. */
function topicOf(path: string): { topic: string; member: boolean } {
  return path.startsWith('/room/') ? { topic: path.slice(6), member: true } : { topic: path.replace(/^\/pub\//, ''), member: false }
}

/** An upgraded connection as serveOurs and serveFloor take it: what it asked for and what it agreed. */
interface Accepted { socket: Socket; head: Uint8Array; topic: string; member: boolean; agreement: DeflateAgreement | null; deflate: PerMessageDeflate | null }

/**
 * serveUpgrades listens on a free loopback port and upgrades each connection with ws-util's
 * acceptSocket (permessage-deflate offered without server context takeover), TCP_NODELAY set
 * as `ws` sets it (the test node does not), and hands it to `onAccepted`. Resolves with the port.
 */
function serveUpgrades(onAccepted: (accepted: Accepted) => void): Promise<number> {
  const upgrader = new Upgrader({ negotiate: deflateNegotiator({ serverNoContextTakeover: true, minWindowBits: defaultEngine().minWindowBits }) })
  return listen(createServer((socket) => {
    socket.on('error', () => {})
    socket.setNoDelay(true)
    acceptSocket(socket, upgrader, { keepRequest: true }).then(({ socket, head, extensions, request }) => {
      const agreement = extensions.length > 0 ? agreementOf(extensions[0]!) : null
      const deflate = agreement === null ? null : new PerMessageDeflate(agreement, 'server')
      onAccepted({ socket, head, ...topicOf(request!.path ?? '/'), agreement, deflate })
    }, () => {})
  }))
}

/**
 * Our node: a Fanout over RedisTransport, members on ws-util, as packages/ws-fanout/test/ws-node.ts:
 * each member's Subscriber target is its BatchWriter, or (`direct`, the `ours-socket` kind) its
 * socket, the BatchWriter left to the reader's own answers; `coalesceMs` for `ours-coalesced`.
 */
async function serveOurs(url: string, name: string, direct: boolean, coalesceMs: number): Promise<() => NodeUsage> {
  const transport = await RedisTransport.connect({ url })
  const fanout = new Fanout({ transport, name, channelPrefix, coalesceMs })
  let members = 0
  const port = await serveUpgrades(({ socket, head, topic, member, agreement, deflate }) => {
    const writer = new BatchWriter(socket, { side: 'server' })
    const reader = readClientData(socket, head, {
      onMessage(opCode, data) {
        if (opCode === OpCode.Text) void fanout.publish(topic, data, false)
      },
      onClose() {
        fanout.unsubscribeAll(subscriber)
        deflate?.close()
      },
    }, { writer, decompressor: deflate?.inflater })
    const subscriber: Subscriber = { target: direct ? socket : writer, deflate: agreement, close: (code, reason) => reader.close(code, reason) }
    if (member) void fanout.subscribe(topic, subscriber).then(() => members++)
  })
  process.send!({ port })
  return () => ({ cpuMicros: 0, systemMicros: 0, members, delivered: fanout.stats.delivered, skipped: fanout.stats.skipped, lost: fanout.stats.lost })
}

/** redisPair connects the two @redis/client connections a node without a Fanout uses: one subscribed, one to publish. */
async function redisPair(url: string) {
  const subscriber = createClient({ url })
  const publisher = subscriber.duplicate()
  subscriber.on('error', () => {})
  publisher.on('error', () => {})
  await Promise.all([subscriber.connect(), publisher.connect()])
  return { subscriber, publisher }
}

/** The `ws` node: a WebSocketServer and @redis/client, each message sent with client.send to every open member. */
async function serveWs(url: string): Promise<() => NodeUsage> {
  const { subscriber, publisher } = await redisPair(url)
  const wss = new WebSocketServer({ host: '127.0.0.1', port: 0, perMessageDeflate: { serverNoContextTakeover: true } })
  await once(wss, 'listening')
  const rooms = new Map<string, { members: Set<WebSocket>; ready: Promise<unknown> }>()
  let members = 0
  let delivered = 0
  wss.on('connection', (ws, req) => {
    ws.on('error', () => {})
    const { topic, member } = topicOf(req.url ?? '/')
    const channel = channelPrefix + topic
    ws.on('message', (data: Buffer) => void publisher.publish(channel, data).catch(() => {}))
    if (!member) return
    let entry = rooms.get(topic)
    if (entry === undefined) {
      const set = new Set<WebSocket>()
      const ready = subscriber.subscribe(channel, (message: Buffer) => {
        for (const client of set) {
          if (client.readyState === WebSocket.OPEN) {
            client.send(message, { binary: false })
            delivered++
          }
        }
      }, true)
      rooms.set(topic, (entry = { members: set, ready }))
    }
    entry.members.add(ws)
    ws.on('close', () => entry.members.delete(ws))
    void entry.ready.then(() => members++)
  })
  process.send!({ port: (wss.address() as { port: number }).port })
  return () => ({ cpuMicros: 0, systemMicros: 0, members, delivered, skipped: 0, lost: 0 })
}

/** The floor: the raw payload through Redis, one frame built per message (MessageFrames), socket.write to each member. */
async function serveFloor(url: string): Promise<() => NodeUsage> {
  const { subscriber, publisher } = await redisPair(url)
  const deflaters = new SharedDeflaters({ engine: defaultEngine() })
  const rooms = new Map<string, { members: Set<{ socket: Socket; agreement: DeflateAgreement | null }>; ready: Promise<unknown> }>()
  let members = 0
  let delivered = 0
  const port = await serveUpgrades(({ socket, head, topic, member, agreement, deflate }) => {
    const channel = channelPrefix + topic
    readClientData(socket, head, {
      onMessage(opCode, data) {
        if (opCode === OpCode.Text) void publisher.publish(channel, Buffer.from(data)).catch(() => {})
      },
      onClose() {
        rooms.get(topic)?.members.delete(entry)
        deflate?.close()
      },
    }, { decompressor: deflate?.inflater })
    const entry = { socket, agreement }
    if (!member) return
    let found = rooms.get(topic)
    if (found === undefined) {
      const set: Set<{ socket: Socket; agreement: DeflateAgreement | null }> = new Set()
      const ready = subscriber.subscribe(channel, (message: Buffer) => {
        const frames = new MessageFrames(false, message, deflaters)
        for (const { socket, agreement } of set) {
          socket.write(frames.for(agreement))
          delivered++
        }
      }, true)
      rooms.set(topic, (found = { members: set, ready }))
    }
    found.members.add(entry)
    void found.ready.then(() => members++)
  })
  process.send!({ port })
  return () => ({ cpuMicros: 0, systemMicros: 0, members, delivered, skipped: 0, lost: 0 })
}

/** serveNode runs this (child) process as one node of `kind`, answering the parent's 'usage' requests. */
async function serveNode(kind: ServerKind, url: string, name: string): Promise<void> {
  const counts = kind === 'ws' ? await serveWs(url) : kind === 'floor' ? await serveFloor(url) : await serveOurs(url, name, kind === 'ours-socket', kind === 'ours-coalesced' ? Number(process.env.COALESCE_MS ?? 50) : 0)
  const session = new Session()
  const post = (method: string) => new Promise<unknown>((resolve, reject) => session.post(method, (error, result) => (error ? reject(error) : resolve(result))))
  process.on('message', (message: 'usage' | { profile: 'start' } | { profile: 'stop'; file: string }) => {
    if (message === 'usage') {
      const cpu = process.cpuUsage()
      process.send!({ ...counts(), cpuMicros: cpu.user + cpu.system, systemMicros: cpu.system } satisfies NodeUsage)
    } else if (message.profile === 'start') {
      // A V8 CPU profile of the measured phase only (PROFILE=kind), written when asked.
      session.connect()
      void post('Profiler.enable').then(() => post('Profiler.start')).then(() => process.send!({ started: true }))
    } else {
      void post('Profiler.stop').then((result) => {
        writeFileSync(message.file, JSON.stringify((result as { profile: object }).profile))
        session.disconnect()
        process.send!({ written: message.file })
      })
    }
  })
  process.on('disconnect', () => process.exit(0))
}

// ---------------------------------------------------------------------------------------------
// The parent: Redis, nodes, client processes, publishers

const children = new Children()
const script = fileURLToPath(import.meta.url)

/** freePort finds a loopback port nobody listens on. */
async function freePort(): Promise<number> {
  const server = createServer()
  const port = await listen(server)
  await new Promise((resolve) => server.close(resolve))
  return port
}

/** startRedis starts Debian's redis-server on a free loopback port, nothing kept on disk, and resolves once it accepts connections. */
async function startRedis(): Promise<{ child: ChildProcess; url: string; cpuMicros: () => number }> {
  const port = await freePort()
  const child = children.add(spawn('/usr/bin/redis-server', ['--port', String(port), '--bind', '127.0.0.1', '--save', '', '--appendonly', 'no', '--daemonize', 'no', '--dir', '/tmp'], { stdio: ['ignore', 'pipe', 'pipe'] }))
  let output = ''
  await new Promise<void>((resolve, reject) => {
    const seen = (chunk: Buffer) => {
      output += chunk.toString()
      if (/Ready to accept connections/.test(output)) resolve()
    }
    child.stdout!.on('data', seen)
    child.stderr!.on('data', seen)
    child.once('exit', (code) => reject(new Error(`redis-server exited (${code}):\n${output}`)))
    child.once('error', reject)
  })
  child.stdout!.resume()
  child.stderr!.resume()
  // utime + stime of /proc/PID/stat, in clock ticks (100 a second on Linux).
  const cpuMicros = () => {
    const fields = readFileSync(`/proc/${child.pid}/stat`, 'utf8').replace(/^.*\) /s, '').split(' ')
    return (Number(fields[11]) + Number(fields[12])) * 10_000
  }
  return { child, url: `redis://127.0.0.1:${port}`, cpuMicros }
}

/** A client process and what it last said about its members. */
class ClientProcess {
  /** How many messages every member of this process has received. */
  complete = 0
  private readonly waiters = new Set<() => void>()
  private answer: ((value: unknown) => void) | null = null

  constructor(readonly child: ChildProcess) {
    child.on('message', (message: ClientMessage) => {
      if (message.type === 'complete') {
        this.complete = message.count
        for (const waiter of this.waiters) waiter()
      } else if (message.type === 'reply') {
        const answer = this.answer
        this.answer = null
        answer?.(message.answer)
      }
    })
  }

  static async start(): Promise<ClientProcess> {
    const child = children.add(fork(script, ['--clients'], { execArgv: process.execArgv }))
    await firstMessage(child)
    return new ClientProcess(child)
  }

  ask<T>(command: ClientCommand): Promise<T> {
    return new Promise((resolve, reject) => {
      const onExit = () => reject(new Error(`client process ${this.child.pid} exited`))
      this.child.once('exit', onExit)
      this.answer = (value) => {
        this.child.off('exit', onExit)
        resolve(value as T)
      }
      this.child.send(command)
    })
  }

  /** changed resolves at the next 'complete' (or after `ms`). */
  changed(ms: number): Promise<void> {
    return new Promise((resolve) => {
      const done = () => {
        clearTimeout(timer)
        this.waiters.delete(done)
        resolve()
      }
      const timer = setTimeout(done, ms)
      this.waiters.add(done)
    })
  }
}

const nowMicros = () => Number(process.hrtime.bigint() / 1000n)
const words = ['hello', 'there', 'status', 'ok', 'price', 'update', 'lobby', 'ping', 'ready', 'move', 'north', 'score', 'team', 'blue', 'red', 'again', '42', 'gg', 'brb', 'nice']

/** chatText is `length` characters of chat words, different for every `seq`, the same every run. */
function chatText(seq: number, length: number): string {
  let seed = Math.imul(seq + 1, 2654435761) >>> 0
  let text = ''
  while (text.length < length) {
    seed = (Math.imul(seed, 1103515245) + 12345) >>> 0
    text += (text === '' ? '' : ' ') + words[(seed >>> 16) % words.length]
  }
  return text.slice(0, length)
}

/** message is publisher `from`'s message number `seq`, exactly `size` bytes of JSON, starting with its publish time. */
function message(size: number, seq: number, from: number): Uint8Array {
  const start = `{"t":${nowMicros()},"seq":${seq},"from":"publisher-${from}","text":"`
  const text = start + chatText(seq, Math.max(0, size - start.length - 2)) + '"}'
  return compileFrame(maskFrame(newTextFrame(text)))
}

/** A publisher: an upgraded raw socket that joins no room; its node publishes what it sends. */
async function openPublisher(port: number): Promise<Socket> {
  const socket = connect({ port, host: '127.0.0.1', noDelay: true })
  socket.write(`GET /pub/${room} HTTP/1.1\r\nHost: 127.0.0.1:${port}\r\nUpgrade: websocket\r\nConnection: Upgrade\r\nSec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\nSec-WebSocket-Version: 13\r\n\r\n`)
  const head = await new Promise<string>((resolve, reject) => {
    let received = ''
    const onData = (chunk: Buffer) => {
      received += chunk.toString('latin1')
      if (!received.includes('\r\n\r\n')) return
      socket.off('data', onData)
      resolve(received)
    }
    socket.on('data', onData)
    socket.once('error', reject)
  })
  if (!head.startsWith('HTTP/1.1 101')) throw new Error(`publisher refused: ${head.split('\r\n')[0]}`)
  socket.on('error', () => {})
  socket.resume() // whatever the node sends is dropped
  return socket
}

/** The setting of a run. */
interface Settings {
  rounds: number; clients: number; nodes: number; sizes: number[]
  /** Messages a second and how many, steady and max, for the cases where nothing is compressed (`plain`, or under both servers' thresholds). */
  rate: number; messages: number
  /** The same where both servers compress (`deflate`, 1 KiB): `ws` compresses for every member, so it sustains far less. */
  compressedRate: number; compressedMessages: number
  window: number; warmup: number; sampleEvery: number; idleMs: number; part: 'steady' | 'max' | 'all'; profile: ServerKind | null
}

/** One measured phase of one case. */
interface Phase {
  messages: number; rate?: number; deliveries: number; expected: number; compressedShare: number; seconds: number; deliveriesPerSecond: number
  cpuMicrosPerDelivery: number; nodeCpuMicros: number[]; nodeSystemMicros: number[]; redisCpuMicros: number
  latencyMicros?: { p50: number; p99: number; max: number; samples: number }
}

/** A case's results in one round. */
interface CaseResult { server: ServerKind; mode: Mode; size: number; idleCpuShare: number[]; steady: Phase | null; max: Phase | null; errors: string[] }

function percentile(sorted: number[], p: number): number {
  return sorted.length === 0 ? NaN : sorted[Math.min(sorted.length - 1, Math.floor(p * sorted.length))]!
}

/** A setup: 3 nodes of one kind, the members connected, publishers ready; every size measured on it. */
async function runSetup(server: ServerKind, mode: Mode, settings: Settings, redis: Awaited<ReturnType<typeof startRedis>>, clients: ClientProcess[]): Promise<CaseResult[]> {
  const profileDir = join(resultsDir, 'fanout-prof')
  const profile = settings.profile === server
  if (profile) mkdirSync(profileDir, { recursive: true })
  const nodes = await Promise.all(Array.from({ length: settings.nodes }, async (_, i) => {
    const child = children.add(fork(script, ['--serve', server, redis.url, `node${i}`], { execArgv: process.execArgv }))
    const { port } = await firstMessage<{ port: number }>(child)
    return { child, port }
  }))
  const ports = nodes.map((node) => node.port)
  const usage = () => Promise.all(nodes.map((node) => request<NodeUsage>(node.child, 'usage')))
  const errors: string[] = []
  try {
    const per = Math.ceil(settings.clients / clients.length)
    const opened = await Promise.all(clients.map((client, i) => client.ask<OpenReport>({
      kind: 'open', ports, from: i * per, to: Math.min(settings.clients, (i + 1) * per), path: `/room/${room}`, deflate: mode === 'deflate', sampleEvery: settings.sampleEvery,
    })))
    const members = opened.reduce((sum, r) => sum + r.opened, 0)
    const agreed = opened.reduce((sum, r) => sum + r.agreed, 0)
    for (const r of opened) errors.push(...r.errors)
    if (members !== settings.clients) throw new Error(`${server} ${mode}: ${members} of ${settings.clients} members connected: ${errors.join('; ')}`)
    if (mode === 'deflate' && agreed !== members) throw new Error(`${server}: ${agreed} of ${members} members agreed permessage-deflate with server_no_context_takeover`)
    // Every subscription confirmed by the broker before anyone speaks.
    for (const deadline = Date.now() + 30_000; ;) {
      const confirmed = (await usage()).reduce((sum, u) => sum + u.members, 0)
      if (confirmed === members) break
      if (Date.now() > deadline) throw new Error(`${server} ${mode}: ${confirmed} of ${members} subscriptions confirmed after 30 s`)
      await new Promise((resolve) => setTimeout(resolve, 50))
    }
    const publishers = await Promise.all(ports.map(openPublisher))
    // What the nodes spend with every member connected and nothing sent: should be nothing.
    const idleBefore = await usage()
    await new Promise((resolve) => setTimeout(resolve, settings.idleMs))
    const idleCpuShare = (await usage()).map((u, i) => (u.cpuMicros - idleBefore[i]!.cpuMicros) / (settings.idleMs * 1000))
    let published = 0
    const complete = () => Math.min(...clients.map((client) => client.complete))
    /** whenComplete resolves once every member has `count` messages, or once none arrived for 10 s (then with false). */
    const whenComplete = async (count: number): Promise<boolean> => {
      let last = complete()
      let stalled = Date.now()
      while (complete() < count) {
        await Promise.race(clients.map((client) => client.changed(1000)))
        if (complete() !== last) {
          last = complete()
          stalled = Date.now()
        } else if (Date.now() - stalled > 10_000) {
          return false
        }
      }
      return true
    }
    const send = (size: number) => {
      const seq = ++published
      publishers[seq % publishers.length]!.write(message(size, seq, seq % publishers.length))
    }
    /** steadily publishes `count` messages at `rate` a second. */
    const steadily = async (size: number, count: number, rate: number) => {
      const start = performance.now()
      for (let i = 0; i < count; i++) {
        const wait = start + (i * 1000) / rate - performance.now()
        if (wait > 1) await new Promise((resolve) => setTimeout(resolve, wait))
        send(size)
      }
    }
    /** windowed publishes `count` messages as fast as the members get them, `window` not yet everywhere at any time. */
    const windowed = async (size: number, count: number, window: number) => {
      for (let i = 0; i < count; i++) {
        while (published - complete() >= window) await Promise.race(clients.map((client) => client.changed(1000)))
        send(size)
      }
    }
    /** phase runs `publish`, waits for every delivery, and measures. */
    const phase = async (phaseName: string, sizeOf: number, count: number, publish: () => Promise<void>): Promise<Phase> => {
      await Promise.all(clients.map((client) => client.ask<LatencyReport>({ kind: 'latency' }))) // reset
      const before = await usage()
      const redisBefore = redis.cpuMicros()
      const target = published + count
      if (profile) await Promise.all(nodes.map((node) => request(node.child, { profile: 'start' })))
      const start = performance.now()
      await publish()
      const done = await whenComplete(target)
      const seconds = (performance.now() - start) / 1000
      const after = await usage()
      if (profile) {
        const name = `${server}-${mode}-${sizeOf}-${phaseName}`
        await Promise.all(nodes.map((node, i) => request(node.child, { profile: 'stop', file: join(profileDir, `${name}-node${i}.cpuprofile`) })))
      }
      const redisCpu = redis.cpuMicros() - redisBefore
      const reports = await Promise.all(clients.map((client) => client.ask<LatencyReport>({ kind: 'latency' })))
      const deliveries = reports.reduce((sum, r) => sum + r.frames, 0)
      for (const r of reports) errors.push(...r.errorMessages)
      if (!done) errors.push(`${server} ${mode}: ${count * members - deliveries} deliveries missing after 10 s without progress`)
      const skipped = after.reduce((sum, u, i) => sum + u.skipped - before[i]!.skipped, 0)
      if (skipped > 0) errors.push(`${server} ${mode}: ${skipped} deliveries skipped (slow members)`)
      const nodeCpuMicros = after.map((u, i) => u.cpuMicros - before[i]!.cpuMicros)
      const nodeSystemMicros = after.map((u, i) => u.systemMicros - before[i]!.systemMicros)
      const samples = reports.flatMap((r) => r.samples).sort((a, b) => a - b)
      return {
        messages: count, deliveries, expected: count * members, compressedShare: reports.reduce((sum, r) => sum + r.compressed, 0) / deliveries, seconds, deliveriesPerSecond: deliveries / seconds,
        cpuMicrosPerDelivery: nodeCpuMicros.reduce((a, b) => a + b, 0) / deliveries, nodeCpuMicros, nodeSystemMicros, redisCpuMicros: redisCpu,
        latencyMicros: { p50: percentile(samples, 0.5), p99: percentile(samples, 0.99), max: samples.at(-1) ?? NaN, samples: samples.length },
      }
    }
    const results: CaseResult[] = []
    for (const size of settings.sizes) {
      const compressed = mode === 'deflate' && size >= compressedSize
      const rate = compressed ? settings.compressedRate : settings.rate
      const count = compressed ? settings.compressedMessages : settings.messages
      // Warm-up: the JIT, and `ws`'s per-connection compressors, made at each one's first message.
      await steadily(size, compressed ? Math.ceil(settings.warmup / 2) : settings.warmup, rate)
      if (!(await whenComplete(published))) errors.push(`${server} ${mode} ${size}: warm-up incomplete`)
      const steady = settings.part === 'max' ? null : await phase('steady', size, count, () => steadily(size, count, rate))
      if (steady !== null) steady.rate = rate
      const max = settings.part === 'steady' ? null : await phase('max', size, count, () => windowed(size, count, settings.window))
      if (max !== null) delete max.latencyMicros // a queue's latency, not the servers'
      results.push({ server, mode, size, idleCpuShare, steady, max, errors: errors.splice(0) })
    }
    for (const publisher of publishers) publisher.destroy()
    return results
  } finally {
    await Promise.all(clients.map((client) => client.ask({ kind: 'close' })))
    for (const client of clients) client.complete = 0
    await Promise.all(nodes.map(async ({ child }) => {
      const exited = once(child, 'exit')
      child.kill('SIGKILL')
      await exited
    }))
  }
}

function median(values: number[]): number {
  const sorted = [...values].sort((a, b) => a - b)
  const middle = sorted.length >> 1
  return sorted.length === 0 ? NaN : sorted.length % 2 === 1 ? sorted[middle]! : (sorted[middle - 1]! + sorted[middle]!) / 2
}

const x = (ratio: number) => (Number.isFinite(ratio) ? `${ratio.toFixed(2)}x` : '-')
const sizeText = (bytes: number) => (bytes >= 1024 && bytes % 1024 === 0 ? `${bytes / 1024} KiB` : `${bytes} B`)
const ms = (micros: number | undefined) => (micros === undefined || Number.isNaN(micros) ? '-' : (micros / 1000).toFixed(1))

async function main(): Promise<void> {
  const env = process.env
  const settings: Settings = {
    rounds: Number(env.ROUNDS ?? 3), clients: Number(env.CLIENTS ?? 9000), nodes: 3, sizes: (env.SIZES ?? '64,1024').split(',').map(Number),
    rate: Number(env.RATE ?? 2), messages: Number(env.MESSAGES ?? 30), compressedRate: Number(env.COMPRESSED_RATE ?? 1), compressedMessages: Number(env.COMPRESSED_MESSAGES ?? 20),
    window: Number(env.WINDOW ?? 4), warmup: Number(env.WARMUP ?? 8), idleMs: Number(env.IDLE_MS ?? 2000), sampleEvery: Number(env.SAMPLE_EVERY ?? 10), part: (env.PART ?? 'all') as Settings['part'],
    profile: (env.PROFILE as ServerKind | undefined) ?? null,
  }
  const servers = (env.SERVERS ?? 'ours,ours-socket,ws').split(',') as ServerKind[]
  const modes = (env.MODES ?? 'plain,deflate').split(',') as Mode[]
  const started = new Date()
  const m = machine()
  console.log(`fan-out through Redis: ${settings.nodes} nodes x ${settings.clients / settings.nodes} members in one room, ${started.toISOString().slice(0, 16).replace('T', ' ')} UTC, ${m.cpu}, ${m.cores} cores, ${m.os}, Node.js ${m.node}`)
  console.log(`steady: ${settings.messages} messages at ${settings.rate}/s (${settings.rate * settings.clients} deliveries/s offered) after ${settings.warmup} of warm-up; `
    + `compressed (deflate, ${sizeText(compressedSize)} and more): ${settings.compressedMessages} at ${settings.compressedRate}/s after ${Math.ceil(settings.warmup / 2)}; `
    + `max: as many again, as fast as they go, ${settings.window} not yet delivered everywhere at a time; ${settings.rounds} rounds\n`)
  const redis = await startRedis()
  const clients = await Promise.all([ClientProcess.start(), ClientProcess.start()])
  const kinds = modes.flatMap((mode) => servers.map((server) => ({ server, mode })))
  const all: CaseResult[][] = kinds.map(() => [])
  try {
    for (let round = 0; round < settings.rounds; round++) {
      for (let i = 0; i < kinds.length; i++) {
        const index = (i + round) % kinds.length
        const { server, mode } = kinds[index]!
        const t0 = performance.now()
        const results = await runSetup(server, mode, settings, redis, clients)
        all[index]!.push(...results)
        for (const r of results) {
          console.error(`round ${round + 1}: ${server} ${mode} ${sizeText(r.size)}: steady ${r.steady ? `${r.steady.cpuMicrosPerDelivery.toFixed(2)} µs/delivery, p50 ${ms(r.steady.latencyMicros?.p50)} ms, p99 ${ms(r.steady.latencyMicros?.p99)} ms` : '-'}; max ${r.max ? `${r.max.deliveriesPerSecond.toFixed(0)}/s, ${r.max.cpuMicrosPerDelivery.toFixed(2)} µs/delivery` : '-'}${r.errors.length > 0 ? `; ${r.errors.join('; ')}` : ''}`)
        }
        console.error(`  (${((performance.now() - t0) / 1000).toFixed(0)} s; the nodes idle, members connected: ${results[0]?.idleCpuShare.map((share) => `${(100 * share).toFixed(1)} %`).join(', ')} of a core)`)
      }
    }
  } finally {
    await children.stop(redis.child)
    children.killAll()
  }

  // Per case: the best round (least CPU per delivery; most deliveries/s), and ours / ws per round.
  type Key = `${ServerKind} ${Mode} ${number}`
  const byCase = new Map<Key, CaseResult[]>()
  for (const r of all.flat()) {
    const key: Key = `${r.server} ${r.mode} ${r.size}`
    byCase.set(key, [...(byCase.get(key) ?? []), r])
  }
  const summary = [...byCase.values()].map((rounds) => {
    const { server, mode, size } = rounds[0]!
    const steady = rounds.map((r) => r.steady).filter((p): p is Phase => p !== null)
    const max = rounds.map((r) => r.max).filter((p): p is Phase => p !== null)
    const bestSteady = steady.length === 0 ? null : steady.reduce((a, b) => (a.cpuMicrosPerDelivery <= b.cpuMicrosPerDelivery ? a : b))
    const bestMax = max.length === 0 ? null : max.reduce((a, b) => (a.deliveriesPerSecond >= b.deliveriesPerSecond ? a : b))
    return {
      server, mode, size, steady: bestSteady, max: bestMax,
      rounds: {
        steadyCpuMicrosPerDelivery: steady.map((p) => p.cpuMicrosPerDelivery), steadyP50: steady.map((p) => p.latencyMicros?.p50), steadyP99: steady.map((p) => p.latencyMicros?.p99),
        steadyDeliveriesPerSecond: steady.map((p) => p.deliveriesPerSecond),
        maxDeliveriesPerSecond: max.map((p) => p.deliveriesPerSecond), maxCpuMicrosPerDelivery: max.map((p) => p.cpuMicrosPerDelivery),
      },
      complete: rounds.every((r) => (r.steady === null || r.steady.deliveries === r.steady.expected) && (r.max === null || r.max.deliveries === r.max.expected)),
      errors: rounds.flatMap((r) => r.errors),
    }
  })
  const find = (server: ServerKind, mode: Mode, size: number) => summary.find((s) => s.server === server && s.mode === mode && s.size === size)
  const rows: string[][] = []
  const ratios: object[] = []
  for (const mode of modes) {
    for (const size of settings.sizes) {
      const ws = find('ws', mode, size)
      for (const server of servers) {
        const s = find(server, mode, size)
        if (s === undefined) continue
        const vs = (value: number | undefined, reference: number | undefined) => (server === 'ws' || value === undefined || reference === undefined ? NaN : value / reference)
        const medianRatio = (mine: (number | undefined)[], theirs: (number | undefined)[] | undefined) =>
          server === 'ws' || theirs === undefined ? NaN : median(mine.map((v, i) => (v === undefined || theirs[i] === undefined ? NaN : v / theirs[i]!)).filter(Number.isFinite))
        const cpuRatio = vs(s.steady?.cpuMicrosPerDelivery, ws?.steady?.cpuMicrosPerDelivery)
        const cpuMedian = medianRatio(s.rounds.steadyCpuMicrosPerDelivery, ws?.rounds.steadyCpuMicrosPerDelivery)
        const rateRatio = vs(s.max?.deliveriesPerSecond, ws?.max?.deliveriesPerSecond)
        const rateMedian = medianRatio(s.rounds.maxDeliveriesPerSecond, ws?.rounds.maxDeliveriesPerSecond)
        const maxCpuRatio = vs(s.max?.cpuMicrosPerDelivery, ws?.max?.cpuMicrosPerDelivery)
        rows.push([
          `${mode} ${sizeText(size)}`, server, s.steady?.rate === undefined ? '-' : String(s.steady.rate),
          s.steady ? s.steady.cpuMicrosPerDelivery.toFixed(2) : '-', s.rounds.steadyCpuMicrosPerDelivery.map((v) => v.toFixed(2)).join(' '), server === 'ws' ? '-' : `${x(cpuRatio)} (${x(cpuMedian)})`,
          ms(s.steady?.latencyMicros?.p50), ms(s.steady?.latencyMicros?.p99),
          s.max ? s.max.deliveriesPerSecond.toFixed(0) : '-', server === 'ws' ? '-' : `${x(rateRatio)} (${x(rateMedian)})`,
          s.max ? s.max.cpuMicrosPerDelivery.toFixed(2) : '-', server === 'ws' ? '-' : x(maxCpuRatio),
          `${(100 * (s.steady ?? s.max)!.compressedShare).toFixed(0)} %`, s.complete ? 'yes' : 'NO',
        ])
        if (server !== 'ws') ratios.push({ server, mode, size, cpuPerDelivery: cpuRatio, cpuPerDeliveryMedianRound: cpuMedian, deliveriesPerSecond: rateRatio, deliveriesPerSecondMedianRound: rateMedian, maxCpuPerDelivery: maxCpuRatio })
      }
    }
  }
  console.log(`\nbest round of ${settings.rounds}; ratios vs ws of the best rounds (median of per-round ratios in brackets); server CPU = the ${settings.nodes} nodes' user + system\n`)
  table(['case', 'server', 'msgs/s', 'CPU µs/delivery', '(each round)', 'vs ws', 'p50 ms', 'p99 ms', 'max deliveries/s', 'vs ws', 'max: CPU µs/delivery', 'vs ws', 'compressed', 'all delivered'], rows)
  const errors = summary.flatMap((s) => s.errors)
  if (errors.length > 0) console.log(`\nproblems:\n${[...new Set(errors)].slice(0, 20).join('\n')}`)
  console.log(`\n${Math.round((Date.now() - started.getTime()) / 1000)} s`)
  writeResult('fanout', { settings, servers, modes, summary, ratios })
}

if (process.argv[2] === '--serve') {
  await serveNode(process.argv[3] as ServerKind, process.argv[4]!, process.argv[5]!)
} else if (process.argv[2] === '--clients') {
  runClients()
} else {
  await main()
}
