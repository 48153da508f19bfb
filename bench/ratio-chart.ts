// The last step of `pnpm bench`: reads what the benchmarks saved in bench/results/*.json and
// draws their ratios against `ws` as one SVG chart, bench/results/chart.svg, with the date and
// the machine they were measured on. Also prints the ratios as a table. Measures nothing.
//
//   pnpm --filter bench run chart        redraw from the saved results
import { writeFileSync } from 'node:fs'
import { createRequire } from 'node:module'
import { join } from 'node:path'
import { type BarGroup, logBarChartSvg } from './lib/log-bar-chart.js'
import type { Machine } from './lib/machine.js'
import { readResult, resultsDir, type SavedResult, table } from './lib/measure.js'
import {
  cipherBars, type CipherResult, deflateBars, type DeflateResult, echoBars, type EchoResult, handshakeBars, type HandshakeResult,
  headerBars, type HeaderResult,
} from './lib/ratios.js'

const require = createRequire(import.meta.url)
const version = (name: string) => (require(`${name}/package.json`) as { version: string }).version

/** machineText describes a machine in one line: CPU model, core count, OS, Node.js version. */
function machineText(machine: Machine | undefined, node: string): string {
  if (machine === undefined) return `an unrecorded machine, Node.js ${node}`
  return `${machine.cpu}, ${machine.cores} cores, ${machine.os}, Node.js ${machine.node}`
}

/** dateSpan prints the first and last of ISO dates as "2026-12-07 00:25–01:05 UTC" (both days when they differ). */
function dateSpan(dates: string[]): string {
  const sorted = [...dates].sort()
  const [firstDay, firstTime] = sorted[0].slice(0, 16).split('T')
  const [lastDay, lastTime] = sorted[sorted.length - 1].slice(0, 16).split('T')
  if (sorted.length === 1 || sorted[0].slice(0, 16) === sorted[sorted.length - 1].slice(0, 16)) return `${firstDay} ${firstTime} UTC`
  return firstDay === lastDay ? `${firstDay} ${firstTime}–${lastTime} UTC` : `${firstDay} ${firstTime} – ${lastDay} ${lastTime} UTC`
}

const saved: SavedResult<unknown>[] = []
const missing: string[] = []
/** load reads one benchmark's saved result and, when there is one, turns it into bar groups with `bars`. */
function load<T>(name: string, bars: (result: T) => BarGroup | BarGroup[]): BarGroup[] {
  const found = readResult<T>(name)
  if (found === null) {
    missing.push(`${name}.ts`)
    return []
  }
  saved.push(found)
  return [bars(found.result)].flat()
}

const groups = [
  ...load<CipherResult[]>('cipher', cipherBars),
  ...load<HeaderResult[]>('header', headerBars),
  ...load<HandshakeResult>('handshake', handshakeBars),
  ...load<EchoResult>('echo', echoBars),
  ...load<DeflateResult>('deflate', deflateBars),
].filter((g) => g.bars.length > 0)
if (groups.length === 0) throw new Error('no results in bench/results/: run pnpm bench first')

const machines = [...new Set(saved.map((s) => machineText(s.machine, s.node)))]
const svg = logBarChartSvg({
  title: 'ws-toolkit against ws: how many times better (right of 1×) or worse (left of 1×)',
  subtitle: [
    `Measured ${dateSpan(saved.map((s) => s.date))} on ${machines.join('; and on ')}.`,
    `Against ws ${version('ws')} with bufferutil ${version('bufferutil')} (ws at its fastest), same run, same inputs; best round of each. Log scale.`,
    'A shared machine: the numbers are noisy. pnpm bench measures again and redraws this chart (bench/ratio-chart.ts).',
  ],
  below: '← ws better',
  above: 'ws-toolkit better →',
  groups,
  footnotes: [
    'CPU: process.cpuUsage() of the server process (user + system, zlib threads included). Heap: JS heap bytes allocated (v8.GCProfiler); Buffer contents outside it are not counted.',
    'Not charted (see bench/README.md and bench/results/*.json): ws without bufferutil, misaligned masking, echo and handshake rates (the load generator',
    'shares the machine with the server), deflate at level 1, echo-hot-path.ts and the deflate engines alone (no ws counterpart).',
    ...(missing.length > 0 ? [`Not run, so not shown: ${missing.join(', ')}.`] : []),
  ],
})
const file = join(resultsDir, 'chart.svg')
writeFileSync(file, svg)

for (const group of groups) {
  console.log(`\n${group.title}\n`)
  table(['case', 'ratio', 'ours vs ws'], group.bars.map((b) => [b.label, b.valueText, b.detail]))
}
console.log(`\nchart written to bench/results/chart.svg (${machines.join('; ')})`)
