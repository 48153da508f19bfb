// What ws-util's event-loop path holds per idle connection in JS heap, by object, without the
// socket (issue 14: an idle connection should cost little more than its socket). For each
// kind, 20,000 are made over in-memory Duplex streams in a fresh process (--expose-gc), and the
// heap after GC is compared with before; the Duplex streams are made before the measure.
// `net` floor figures, with real sockets, are bench/connections.ts's.
//
//   pnpm --filter bench run idle-objects
import { execFileSync } from 'node:child_process'
import { Duplex } from 'node:stream'
import { fileURLToPath } from 'node:url'
import { BatchWriter, FrameDecoder, readClientData } from '@ws-toolkit/ws-util'
import { table, writeResult } from './lib/measure.js'

const count = 20000
const kinds = {
  'socket listeners (data, end, close, error)': (socket: Duplex) => {
    socket.on('data', () => {})
    socket.on('end', () => {})
    socket.on('close', () => {})
    socket.on('error', () => {})
    return socket
  },
  BatchWriter: (socket: Duplex) => new BatchWriter(socket, { side: 'server' }),
  FrameDecoder: () => new FrameDecoder('server', { onData() {}, onMessageEnd() {}, onControl() {} }),
  'DataReader + BatchWriter (readClientData, as echo.ts)': (socket: Duplex) => {
    const writer = new BatchWriter(socket, { side: 'server' })
    return readClientData(socket, new Uint8Array(0), { onMessage: (opCode, data) => writer.writeMessage(opCode, data) }, { writer })
  },
} satisfies Record<string, (socket: Duplex) => unknown>
type Kind = keyof typeof kinds

/** heapPerObject makes `count` of `kind` and returns the JS heap each holds, after GC. */
async function heapPerObject(kind: Kind): Promise<number> {
  const gc = (globalThis as { gc?: () => void }).gc!
  const sockets = Array.from({ length: count }, () => new Duplex({ read() {}, write: (_chunk, _encoding, callback) => callback() }))
  gc()
  gc()
  const before = process.memoryUsage().heapUsed
  const held = sockets.map((socket) => kinds[kind](socket))
  await new Promise((resolve) => setTimeout(resolve, 50)) // the readers' first tick (head, resume)
  gc()
  gc()
  const after = process.memoryUsage().heapUsed
  if (held.length !== count) throw new Error('lost objects') // keeps `held` alive until here
  return (after - before) / count
}

if (process.argv[2] === '--child') {
  process.stdout.write(String(await heapPerObject(process.argv[3] as Kind)))
} else {
  const self = fileURLToPath(import.meta.url)
  const rows: { kind: string; bytes: number }[] = []
  for (const kind of Object.keys(kinds) as Kind[]) {
    const out = execFileSync(process.execPath, ['--expose-gc', '--import', 'tsx', self, '--child', kind], { encoding: 'utf8' })
    rows.push({ kind, bytes: Number(out) })
  }
  console.log(`JS heap per idle connection's objects (${count} each, after GC, no socket counted):\n`)
  table(['objects', 'bytes each'], rows.map((r) => [r.kind, r.bytes.toFixed(0)]))
  writeResult('idle-objects', rows)
}
