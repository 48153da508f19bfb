// A benchmark of scale: the memory each server spends per open WebSocket connection, with N
// connections (10,000 by default). Each server runs alone in a child process (node
// --expose-gc) and measures itself after a forced GC: RSS, JS heap in use, external memory and
// ArrayBuffers, before any connection and at four phases: (1) N connections upgraded, idle;
// (2) after one checksummed echo on every connection, idle again; (3) under steady traffic, one
// ~150 B JSON-ish text per connection per second, every echo checked; (4) after every
// connection closed with a clean close handshake (1000), a short wait and GC, against before.
// The load runs in separate processes (raw sockets, masked frames, no WebSocket client), from
// several source addresses (127.0.S.2, 127.0.S.3, ...). Servers: the node:net floor,
// examples/echo.ts, examples/deflate-echo.ts (each engine, with and without context takeover,
// its default threshold and 0, and with --release-after 2000) and ws's WebSocketServer plain
// and with perMessageDeflate at the same settings (ws's default threshold, 1 KiB, and 0). The
// server's CPU share during the traffic phase is reported with the checks. `--malloc` runs the
// servers with another C allocator setting (see Malloc). Not a test.
//
//   pnpm --filter bench run connections [--connections N] [--seconds S] [--servers floor,echo,ws,...] [--malloc glibc|glibc-mmap|jemalloc]
import { spawnSync } from 'node:child_process'
import { existsSync } from 'node:fs'
import { fileURLToPath } from 'node:url'
import { parseArgs } from 'node:util'
import { Children, firstMessage, request } from './lib/child-request.js'
import type { OpenReport, PhaseReport } from './lib/connection-load.js'
import { runLoad } from './lib/connection-load.js'
import { serverSpecs, serveSpec, type ServerSpec } from './lib/connection-servers.js'
import { fileLimitFor, forkWithFileLimit } from './lib/file-limit.js'
import { upgradeRequest } from './lib/load.js'
import { table, writeResult } from './lib/measure.js'
import { type Memory, reportMemory, serverMemory } from './lib/memory-usage.js'

/** Options are the command line's: how many connections, how long the traffic phase lasts, which servers. */
interface Options { connections: number; seconds: number; servers: ServerSpec[]; perLoad: number; perAddress: number; malloc: Malloc }

/**
 * Malloc is the C allocator the servers run with: glibc's as it is; glibc's with blocks of
 * 64 KiB and more mapped on their own (`MALLOC_MMAP_THRESHOLD_`, so that freeing them unmaps
 * them); or jemalloc (Debian's libjemalloc2, through LD_PRELOAD) returning freed pages within
 * about a second from a background thread. Only the server processes get it.
 */
type Malloc = 'glibc' | 'glibc-mmap' | 'jemalloc'
const jemalloc = '/usr/lib/x86_64-linux-gnu/libjemalloc.so.2'

/** mallocEnv is the environment that gives a server process `malloc`. */
function mallocEnv(malloc: Malloc): NodeJS.ProcessEnv {
  if (malloc === 'glibc-mmap') return { ...process.env, MALLOC_MMAP_THRESHOLD_: '65536' }
  if (malloc === 'jemalloc') return { ...process.env, LD_PRELOAD: jemalloc, MALLOC_CONF: 'background_thread:true,dirty_decay_ms:1000,muzzy_decay_ms:0' }
  return process.env
}

/** ServerRun is everything measured for one server. */
interface ServerRun {
  key: string
  label: string
  connections: number
  memory: { before: Memory; idle: Memory; echoed: Memory; traffic: Memory; closed: Memory }
  open: OpenReport
  echo: PhaseReport
  traffic: PhaseReport
  close: PhaseReport
  wallSeconds: number
}

const script = fileURLToPath(import.meta.url)
const children = new Children()
const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms))

/** parseOptions reads the flags; --help prints them. */
function parseOptions(): Options {
  const { values } = parseArgs({
    options: {
      connections: { type: 'string', default: '10000' },
      seconds: { type: 'string', default: '20' },
      servers: { type: 'string' },
      'per-load': { type: 'string', default: '15000' },
      'per-address': { type: 'string', default: '10000' },
      malloc: { type: 'string', default: 'glibc' },
      help: { type: 'boolean', default: false },
    },
  })
  if (values.help) {
    console.log(`usage: pnpm --filter bench run connections [--connections N] [--seconds S] [--servers KEY,...] [--per-load N]
  --connections N  connections held open on each server (default 10000)
  --seconds S      length of the traffic phase, one message per connection per second (default 20)
  --servers K,...  servers to measure (default all): ${serverSpecs.map((s) => s.key).join(', ')}
  --per-load N     connections per load process (default 15000)
  --per-address N  connections per source address 127.0.S.x (default 10000)
  --malloc M       the servers' C allocator: glibc (default), glibc-mmap (MALLOC_MMAP_THRESHOLD_=65536) or jemalloc (apt-get install libjemalloc2)`)
    process.exit(0)
  }
  const connections = Number(values.connections)
  const seconds = Number(values.seconds)
  const perLoad = Number(values['per-load'])
  const perAddress = Number(values['per-address'])
  if (!(perLoad >= 1 && perAddress >= 1)) throw new Error('--per-load and --per-address: whole numbers from 1')
  if (!(connections >= 1 && Number.isInteger(connections))) throw new Error(`--connections ${values.connections}: a whole number from 1`)
  if (!(seconds > 0)) throw new Error(`--seconds ${values.seconds}: a number above 0`)
  const keys = values.servers?.split(',') ?? serverSpecs.map((s) => s.key)
  const servers = keys.map((key) => {
    const spec = serverSpecs.find((s) => s.key === key)
    if (spec === undefined) throw new Error(`unknown server ${key}; the servers: ${serverSpecs.map((s) => s.key).join(', ')}`)
    return spec
  })
  const malloc = values.malloc as Malloc
  if (!['glibc', 'glibc-mmap', 'jemalloc'].includes(malloc)) throw new Error(`--malloc ${malloc}: glibc, glibc-mmap or jemalloc`)
  if (malloc === 'jemalloc' && !existsSync(jemalloc)) throw new Error(`--malloc jemalloc needs ${jemalloc}: apt-get install libjemalloc2`)
  return { connections, seconds, servers, perLoad, perAddress, malloc }
}

/** sourceTree is what was measured: the commit checked out and the files under packages/ changed since (others may be editing them). */
function sourceTree(): { commit: string; uncommitted: string[] } {
  const git = (...args: string[]) => spawnSync('git', args, { encoding: 'utf8', cwd: fileURLToPath(new URL('.', import.meta.url)) }).stdout.trimEnd()
  return { commit: git('rev-parse', '--short', 'HEAD'), uncommitted: git('status', '--porcelain', '--', '../packages').split('\n').filter(Boolean) }
}

/** sumReports adds the load processes' reports up: counts summed, the largest maximum latency. */
function sumReports<T extends object>(reports: T[]): T {
  const total = { ...reports[0] } as Record<string, unknown>
  for (const report of reports.slice(1)) {
    for (const [key, value] of Object.entries(report)) {
      if (key === 'latencyMaxMs' || key === 'seconds') total[key] = Math.max(total[key] as number, value as number)
      else if (typeof value === 'number') total[key] = (total[key] as number) + value
      else if (Array.isArray(value)) total[key] = [...(total[key] as unknown[]), ...value].slice(0, 5)
    }
  }
  return total as T
}

/** measureServer runs the four phases against one server (its index picks the source addresses) and returns what it measured. */
async function measureServer(spec: ServerSpec, index: number, options: Options): Promise<ServerRun> {
  const started = performance.now()
  const n = options.connections
  const server = children.add(forkWithFileLimit(script, ['--serve', spec.key], fileLimitFor(n), [...process.execArgv, '--expose-gc'], mallocEnv(options.malloc)))
  try {
    const { port } = await firstMessage<{ port: number }>(server)
    const before = await serverMemory(server)
    const slices: [number, number][] = []
    for (let from = 0; from < n; from += options.perLoad) slices.push([from, Math.min(n, from + options.perLoad)])
    const loads = slices.map(([from, to]) => children.add(forkWithFileLimit(script, ['--load'], fileLimitFor(to - from))))
    try {
      await Promise.all(loads.map((load) => firstMessage(load)))
      const offer = spec.family === 'deflate' || spec.family === 'ws-deflate' ? 'permessage-deflate; client_max_window_bits' : undefined
      const all = <T extends object>(command: object) => Promise.all(loads.map((load) => request<T>(load, command))).then(sumReports)
      const open = await Promise.all(loads.map((load, i) => request<OpenReport>(load, {
        kind: 'open', port, request: Buffer.from(upgradeRequest(offer)).toString('latin1'), floor: spec.family === 'floor',
        from: slices[i][0], to: slices[i][1], addressBase: `127.0.${index + 1}.`, perAddress: options.perAddress,
      }))).then(sumReports)
      console.error(`  ${spec.key}: ${open.opened} connections open in ${open.seconds.toFixed(1)} s${open.failed > 0 ? `, ${open.failed} failed: ${open.errorMessages[0]}` : ''}`)
      await sleep(1000)
      const idle = await serverMemory(server)
      const echo = await all<PhaseReport>({ kind: 'echo' })
      // A server that releases idle engines has them released by now (its sweep: within twice its time).
      await sleep(spec.releaseAfter === undefined ? 1000 : 2 * spec.releaseAfter + 500)
      const echoed = await serverMemory(server)
      await all({ kind: 'start' })
      await sleep(options.seconds * 1000)
      const traffic = await serverMemory(server)
      const trafficReport = await all<PhaseReport>({ kind: 'stop' })
      const close = await all<PhaseReport>({ kind: 'close' })
      await sleep(2000)
      const closed = await serverMemory(server)
      const wallSeconds = (performance.now() - started) / 1000
      console.error(`  ${spec.key}: traffic ${trafficReport.sent} sent (${trafficReport.skipped} skipped: echo outstanding), ${trafficReport.echoed} echoed, ${trafficReport.mismatched} mismatched; `
        + `closed ${close.clean} clean, ${close.cut} cut; ${wallSeconds.toFixed(0)} s`)
      return { key: spec.key, label: spec.label, connections: open.opened, memory: { before, idle, echoed, traffic, closed }, open, echo, traffic: trafficReport, close, wallSeconds }
    } finally {
      await Promise.all(loads.map((load) => children.stop(load)))
    }
  } finally {
    await children.stop(server)
  }
}

/** Phase is a measured phase with its name in the tables. */
type Phase = 'idle' | 'echoed' | 'traffic'
const phaseTitles: Record<Phase, string> = {
  idle: '(1) idle: N connections upgraded, never used',
  echoed: '(2) after one checksummed echo on every connection, idle again (1 s; 4.5 s for --release-after 2000)',
  traffic: '(3) under steady traffic: 1 message/s per connection',
}

/** perConnection is a phase's bytes per connection for `field`: its growth since before the first connection, divided by the connections. */
function perConnection(run: ServerRun, phase: Phase, field: keyof Memory): number {
  return (run.memory[phase][field] - run.memory.before[field]) / Math.max(1, run.connections)
}

/** ratio prints a / b as "1.23x", or "-" when there is no b or it is under 64 bytes (next to nothing, or noise): no ratio means anything then. */
function ratio(a: number, b: number | undefined): string {
  return b === undefined || b < 64 ? '-' : `${(a / b).toFixed(2)}x`
}

const mib = (bytes: number) => (bytes / (1 << 20)).toFixed(1)

/** printTables prints a table per phase (bytes per connection, ratios against ws at the same settings and the floor), phase 4 and the checks. */
function printTables(runs: ServerRun[], options: Options): void {
  const find = (key: string | null) => runs.find((r) => r.key === key)
  const floor = find('floor')
  for (const phase of ['idle', 'echoed', 'traffic'] as Phase[]) {
    console.log(`\n${phaseTitles[phase]}: bytes per connection (growth since before any connection, after GC, ÷ N)\n`)
    table(['server', 'RSS', 'vs ws', 'vs floor', 'heapUsed', 'vs ws', 'vs floor', 'external', 'vs ws', 'arrayBuffers'], runs.map((run) => {
      const spec = serverSpecs.find((s) => s.key === run.key)!
      const ws = find(spec.versus)
      const f = (field: keyof Memory) => perConnection(run, phase, field)
      const other = (r: ServerRun | undefined, field: keyof Memory) => (r === undefined ? undefined : perConnection(r, phase, field))
      return [
        run.label, f('rss').toFixed(0), ratio(f('rss'), other(ws, 'rss')), ratio(f('rss'), other(floor, 'rss')),
        f('heapUsed').toFixed(0), ratio(f('heapUsed'), other(ws, 'heapUsed')), ratio(f('heapUsed'), other(floor, 'heapUsed')),
        f('external').toFixed(0), ratio(f('external'), other(ws, 'external')), f('arrayBuffers').toFixed(0),
      ]
    }))
  }
  console.log('\n(4) after every connection closed (close handshake 1000), 2 s and GC: against before the first connection (target: RSS within 1.5x)\n')
  table(['server', 'RSS before MiB', 'RSS after MiB', 'after/before', 'heap before MiB', 'heap after MiB', 'external before MiB', 'external after MiB'], runs.map((run) => {
    const { before, closed } = run.memory
    return [run.label, mib(before.rss), mib(closed.rss), `${(closed.rss / before.rss).toFixed(2)}x`, mib(before.heapUsed), mib(closed.heapUsed), mib(before.external), mib(closed.external)]
  }))
  console.log(`\nchecks: every echo checksummed (FNV-1a of the text sent against the text echoed, in order); traffic for ${options.seconds} s\n`)
  table(['server', 'open', 'failed', 'echo once ok', 'traffic sent', 'skipped (busy)', 'echoed', 'mismatched', 'unexpected', 'left', 'errors', 'latency mean/max ms', 'closed clean', 'cut', 'server CPU (traffic)'], runs.map((run) => {
    const t = run.traffic
    // The server's CPU between its measurements before and during the traffic: share of one core, and per message echoed.
    const { echoed: start, traffic: end } = run.memory
    const cpu = end.cpuMicros - start.cpuMicros
    const serverCpu = `${((100 * cpu) / (end.atMicros - start.atMicros)).toFixed(0)}% · ${(cpu / Math.max(1, t.echoed)).toFixed(0)} µs/msg`
    const echoed = run.echo.echoed + t.echoed
    const mismatched = run.echo.mismatched + t.mismatched
    return [
      run.label, String(run.open.opened), String(run.open.failed), `${run.echo.echoed}/${run.echo.sent}`, String(t.sent), String(t.skipped), String(t.echoed),
      String(mismatched), String(run.echo.unexpected + t.unexpected + run.close.unexpected), String(run.echo.outstanding + t.outstanding),
      String(run.echo.errors + t.errors + run.close.errors), `${(t.latencySumMs / Math.max(1, t.echoed + t.mismatched)).toFixed(1)}/${t.latencyMaxMs.toFixed(0)}`,
      String(run.close.clean), String(run.close.cut), serverCpu,
    ].map((cell, i) => (i === 7 && echoed > 0 && mismatched > 0 ? `${cell} !` : cell))
  }))
}

if (process.argv[2] === '--serve') {
  const spec = serverSpecs.find((s) => s.key === process.argv[3])!
  reportMemory(await serveSpec(spec))
} else if (process.argv[2] === '--load') {
  runLoad()
} else {
  const options = parseOptions()
  const tree = sourceTree() // at the start: what the servers load (the packages' dist, built from it by pnpm build)
  const started = performance.now()
  console.error(`connections: ${options.connections} per server, traffic ${options.seconds} s, ${options.servers.length} servers, malloc ${options.malloc}`)
  const runs: ServerRun[] = []
  const failures: { key: string; error: string }[] = []
  for (const spec of options.servers) {
    try {
      runs.push(await measureServer(spec, serverSpecs.indexOf(spec), options))
    } catch (error) {
      // A server that crashed or hung is reported, not measured; the others still run.
      failures.push({ key: spec.key, error: (error as Error).message })
      console.error(`  ${spec.key}: FAILED: ${(error as Error).message}`)
    }
    // Saved after each server too, so that an interrupted run keeps what it measured.
    writeResult('connections', { connections: options.connections, seconds: options.seconds, malloc: options.malloc, tree, runs, failures, partial: true })
  }
  console.log(`\nconnections: ${options.connections} WebSocket connections per server, each server alone in its own process; `
    + `the servers' malloc: ${options.malloc}; memory measured by the server after GC; wall time ${((performance.now() - started) / 1000).toFixed(0)} s`)
  console.log(`source: ${tree.commit}${tree.uncommitted.length === 0 ? '' : ` with uncommitted changes in ${tree.uncommitted.map((line) => line.slice(3)).join(', ')}`}`)
  printTables(runs, options)
  for (const failure of failures) console.log(`\nFAILED: ${failure.key}: ${failure.error}`)
  writeResult('connections', { connections: options.connections, seconds: options.seconds, malloc: options.malloc, tree, runs, failures })
  if (failures.length > 0) process.exitCode = 1
}
