// What an idle upgraded connection holds on the JS heap, object by object (issue 14: an idle
// connection should cost little more than its socket). For each server, a fresh child process
// (--expose-gc) starts it on 127.0.0.1, takes a heap snapshot, lets a load process open N
// upgraded connections that then stay idle, takes another, and reports the growth per
// connection by kind of object (V8's constructor name, or the snapshot's node type), with how
// many of each a connection has. Servers: the node:net floor (canned 101, no WebSocket code),
// examples/echo.ts's path (acceptSocket, DataReader, BatchWriter, its Echo handler and
// connection set) and ws's WebSocketServer.
//
//   pnpm --filter bench run idle-heap [N]
import { execFileSync, fork } from 'node:child_process'
import { readFileSync, rmSync } from 'node:fs'
import { connect, type Socket } from 'node:net'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { fileURLToPath } from 'node:url'
import { writeHeapSnapshot } from 'node:v8'
import { WebSocketServer } from 'ws'
import { Upgrader } from '@ws-toolkit/ws-core'
import { ConnectionSet } from '@ws-toolkit/ws-util'
import { echoMessages } from '../examples/lib/echo.ts'
import { webSocketServer } from '../examples/lib/server.ts'
import { serveFloorEcho } from './lib/floor-server.js'
import { table, writeResult } from './lib/measure.js'

const servers = ['floor', 'echo.ts', 'ws'] as const
type Server = (typeof servers)[number]
/** Kind is one row: bytes and objects per connection of one kind. */
interface Kind { kind: string; bytes: number; count: number }
interface Result { server: Server; connections: number; total: number; kinds: Kind[] }

const self = fileURLToPath(import.meta.url)
const request = Buffer.from('GET / HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: Upgrade\r\nUpgrade: websocket\r\nSec-WebSocket-Version: 13\r\nSec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\n\r\n')

/** serve starts `server` in this process and resolves with its port. */
async function serve(server: Server): Promise<number> {
  if (server === 'floor') return serveFloorEcho()
  if (server === 'ws') {
    const wss = new WebSocketServer({ host: '127.0.0.1', port: 0, perMessageDeflate: false })
    wss.on('connection', (ws) => ws.on('error', () => {}))
    await new Promise((resolve) => wss.once('listening', resolve))
    return (wss.address() as { port: number }).port
  }
  const connections = new ConnectionSet()
  const net = webSocketServer(new Upgrader(), (socket, head) => connections.add(echoMessages(socket, head)))
  await new Promise<void>((resolve) => net.listen(0, '127.0.0.1', resolve))
  return (net.address() as { port: number }).port
}

/** byKind reads a heap snapshot and sums self sizes and counts by constructor name (objects, closures) or node type. */
function byKind(file: string): Map<string, { bytes: number; count: number }> {
  const snapshot = JSON.parse(readFileSync(file, 'utf8')) as { snapshot: { meta: { node_fields: string[]; node_types: [string[]] } }; nodes: number[]; strings: string[] }
  const { node_fields: fields, node_types: [types] } = snapshot.snapshot.meta
  const [typeAt, nameAt, sizeAt] = [fields.indexOf('type'), fields.indexOf('name'), fields.indexOf('self_size')]
  const out = new Map<string, { bytes: number; count: number }>()
  for (let i = 0; i < snapshot.nodes.length; i += fields.length) {
    const type = types[snapshot.nodes[i + typeAt]!]!
    const kind = type === 'object' ? snapshot.strings[snapshot.nodes[i + nameAt]!]! : type === 'closure' ? 'closure' : `(${type})`
    const entry = out.get(kind) ?? { bytes: 0, count: 0 }
    entry.bytes += snapshot.nodes[i + sizeAt]!
    entry.count++
    out.set(kind, entry)
  }
  return out
}

/** measureHere runs in the child: the server, two snapshots around N idle connections, the growth per connection. */
async function measureHere(server: Server, n: number): Promise<Result> {
  const gc = (globalThis as { gc?: () => void }).gc!
  const port = await serve(server)
  const file = (name: string) => join(tmpdir(), `idle-heap-${process.pid}-${name}.heapsnapshot`)
  gc()
  gc()
  const before = writeHeapSnapshot(file('before'))
  const load = fork(self, ['--load', String(port), String(n)], { execArgv: ['--import', 'tsx'] })
  await new Promise((resolve) => load.once('message', resolve))
  await new Promise((resolve) => setTimeout(resolve, 500))
  gc()
  gc()
  const after = writeHeapSnapshot(file('after'))
  const [a, b] = [byKind(before), byKind(after)]
  rmSync(before)
  rmSync(after)
  load.kill()
  const kinds = [...b].map(([kind, { bytes, count }]) => ({ kind, bytes: (bytes - (a.get(kind)?.bytes ?? 0)) / n, count: (count - (a.get(kind)?.count ?? 0)) / n }))
  const total = kinds.reduce((sum, k) => sum + k.bytes, 0)
  return { server, connections: n, total, kinds: kinds.filter((k) => Math.abs(k.bytes) >= 8).sort((x, y) => y.bytes - x.bytes) }
}

if (process.argv[2] === '--load') {
  // N raw connections, each sending the upgrade request and then nothing: idle once upgraded.
  const [port, n] = [Number(process.argv[3]), Number(process.argv[4])]
  const sockets: Socket[] = []
  let upgraded = 0
  for (let i = 0; i < n; i++) {
    const socket = connect(port, '127.0.0.1', () => socket.write(request))
    socket.once('data', () => ++upgraded === n && process.send!('upgraded'))
    socket.on('error', () => {})
    sockets.push(socket)
  }
} else if (process.argv[2] === '--child') {
  process.stdout.write(JSON.stringify(await measureHere(process.argv[3] as Server, Number(process.argv[4]))))
  process.exit(0)
} else {
  const n = Number(process.argv[2] ?? 2000)
  const results: Result[] = servers.map((server) => JSON.parse(execFileSync(process.execPath, ['--expose-gc', '--import', 'tsx', self, '--child', server, String(n)], { encoding: 'utf8', maxBuffer: 1 << 24 })) as Result)
  console.log(`JS heap per idle upgraded connection (${n} connections, heap snapshots after GC, growth ÷ N), by kind of object:\n`)
  table(['server', 'bytes per connection', 'vs floor'], results.map((r) => [r.server, r.total.toFixed(0), `+${(r.total - results[0]!.total).toFixed(0)}`]))
  for (const r of results) {
    console.log(`\n${r.server}:`)
    table(['kind', 'bytes', 'objects'], r.kinds.slice(0, 16).map((k) => [k.kind, k.bytes.toFixed(0), k.count.toFixed(2)]))
  }
  writeResult('idle-heap', results)
}
