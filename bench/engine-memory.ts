// What one compression engine costs in memory, per setting (issue 14: the memory knobs with a
// measured figure each). For each engine, window and memory level, a fresh child process
// (--expose-gc) makes 200 compressors (or decompressors), runs one 4 KiB JSON message through
// each, and reports RSS, external (zlib's native memory, which Node counts there) and JS heap
// plus ArrayBuffers per engine, against the same process before. Node's zlib for comparison:
// what `ws` holds per direction with context takeover is one such zlib stream. Rows marked
// "released" call release() on all 200 once all are made and used (what `releaseAfter` does to
// idle connections): what they hold then, and what the process keeps of what they freed.
//
//   pnpm --filter bench run engine-memory
import { execFileSync } from 'node:child_process'
import { fileURLToPath } from 'node:url'
import { fflateEngine, lazySource, MessageDeflater, MessageInflater, type DeflateEngine } from '@ws-toolkit/ws-flate'
import { zlibEngine } from '@ws-toolkit/ws-flate/zlib'
import { table, writeResult } from './lib/measure.js'

const count = 200
const engines: Record<string, DeflateEngine> = { zlib: zlibEngine, fflate: fflateEngine }

/** Setting is one configuration measured in a child of its own. */
interface Setting { engine: string; side: 'deflater' | 'inflater'; windowBits: number; memLevel?: number; released?: boolean; offThread?: boolean }

/** Cost is what one engine of a setting holds, in bytes. */
interface Cost { rss: number; external: number; js: number }

/** message is a 4 KiB JSON message, the same for every engine. */
function message(): Uint8Array {
  const rows = Array.from({ length: 60 }, (_, i) => ({ id: i, symbol: ['EURUSD', 'GBPUSD', 'BTC-USD'][i % 3], bid: 1 + i / 997, seq: 1e6 + i }))
  return new TextEncoder().encode(JSON.stringify(rows)).subarray(0, 4096)
}

/** usage is the process's memory after two full collections. */
function usage(): Cost {
  const gc = (globalThis as { gc?: () => void }).gc!
  gc()
  gc()
  const m = process.memoryUsage()
  return { rss: m.rss, external: m.external, js: m.heapUsed + m.arrayBuffers }
}

/** measureHere runs one setting in this process and returns the cost per engine. */
async function measureHere(setting: Setting): Promise<Cost> {
  const engine = engines[setting.engine]!
  const payload = message()
  const compressed = new MessageDeflater(engine.createDeflater({ windowBits: 15, keepContext: true }), { keepContext: true }).compress(payload)!.slice()
  const before = usage()
  const held: { close(): void; release(): boolean }[] = []
  for (let i = 0; i < count; i++) {
    if (setting.side === 'deflater') {
      const options = { windowBits: setting.windowBits, keepContext: true, memLevel: setting.memLevel }
      // Off the main thread: made on libuv's threadpool (the zlib engine), as PerMessageDeflate does with context takeover.
      const raw = setting.offThread === true ? await engine.createDeflaterOffThread!(options) : null
      const deflater = new MessageDeflater(lazySource(() => raw ?? engine.createDeflater(options)), { keepContext: true })
      deflater.compress(payload)
      held.push(deflater)
    } else {
      const inflater = new MessageInflater(lazySource(() => engine.createInflater({ windowBits: setting.windowBits, keepContext: true })))
      inflater.inflate(compressed)
      held.push(inflater)
    }
  }
  // Released only once all are made, as connections are: what each gives back, not what the next reuses.
  if (setting.released === true) for (const engine of held) if (!engine.release()) throw new Error('not released')
  const after = usage()
  const cost = { rss: (after.rss - before.rss) / count, external: (after.external - before.external) / count, js: (after.js - before.js) / count }
  for (const engine of held) engine.close()
  return cost
}

/** settings lists what is measured: compressors by window and memory level, decompressors by window. */
function settings(): Setting[] {
  const list: Setting[] = []
  for (const windowBits of [9, 12, 15]) for (const memLevel of [1, 4, 8, 9]) list.push({ engine: 'zlib', side: 'deflater', windowBits, memLevel })
  for (const memLevel of [1, 6, 8, 9]) list.push({ engine: 'fflate', side: 'deflater', windowBits: 15, memLevel })
  for (const windowBits of [9, 12, 15]) list.push({ engine: 'zlib', side: 'inflater', windowBits })
  list.push({ engine: 'fflate', side: 'inflater', windowBits: 15 })
  list.push({ engine: 'zlib', side: 'deflater', windowBits: 15, memLevel: 8, offThread: true }, { engine: 'zlib', side: 'deflater', windowBits: 15, memLevel: 8, offThread: true, released: true })
  list.push({ engine: 'zlib', side: 'deflater', windowBits: 15, memLevel: 8, released: true }, { engine: 'fflate', side: 'deflater', windowBits: 15, memLevel: 9, released: true })
  for (const windowBits of [9, 12, 15]) list.push({ engine: 'zlib', side: 'inflater', windowBits, released: true })
  list.push({ engine: 'fflate', side: 'inflater', windowBits: 15, released: true })
  return list
}

const kib = (bytes: number) => `${(bytes / 1024).toFixed(1)} KiB`

if (process.argv[2] === '--child') {
  process.stdout.write(JSON.stringify(await measureHere(JSON.parse(process.argv[3]!) as Setting)))
} else {
  const self = fileURLToPath(import.meta.url)
  const rows: (Setting & Cost)[] = []
  for (const setting of settings()) {
    const out = execFileSync(process.execPath, ['--expose-gc', '--import', 'tsx', self, '--child', JSON.stringify(setting)], { encoding: 'utf8' })
    rows.push({ ...setting, ...(JSON.parse(out) as Cost) })
  }
  console.log(`Memory per engine (${count} per process, one 4 KiB JSON message through each, after GC):\n`)
  table(
    ['engine', 'side', 'window bits', 'memLevel', 'RSS', 'external', 'JS heap + ArrayBuffers'],
    rows.map((r) => [r.engine, `${r.side}${r.offThread === true ? ', off-thread' : ''}${r.released === true ? ', released' : ''}`, String(r.windowBits), r.memLevel === undefined ? '-' : String(r.memLevel), kib(r.rss), kib(r.external), kib(r.js)]),
  )
  writeResult('engine-memory', rows)
}
