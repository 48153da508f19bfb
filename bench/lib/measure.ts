import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs'
import { dirname, join } from 'node:path'
import { type Machine, machine } from './machine.js'

/**
 * measure runs `operation` in growing batches until a batch takes at least `minMs`, then times
 * `rounds` batches of that size and returns the best rate in operations per second. Best-of
 * rather than mean: on a shared machine, noise only ever slows a round down.
 */
export function measure(operation: () => void, { minMs = 150, rounds = 5 } = {}): number {
  let batch = 1
  for (;;) {
    const start = process.hrtime.bigint()
    for (let i = 0; i < batch; i++) operation()
    const ms = Number(process.hrtime.bigint() - start) / 1e6
    if (ms >= minMs / 4) {
      batch = Math.max(1, Math.ceil((batch * minMs) / Math.max(ms, 0.001)))
      break
    }
    batch *= 4
  }
  let best = 0
  for (let round = 0; round < rounds; round++) {
    const start = process.hrtime.bigint()
    for (let i = 0; i < batch; i++) operation()
    const seconds = Number(process.hrtime.bigint() - start) / 1e9
    best = Math.max(best, batch / seconds)
  }
  return best
}

/** table prints rows of strings as an aligned text table. */
export function table(header: string[], rows: string[][]): void {
  const widths = header.map((h, i) => Math.max(h.length, ...rows.map((r) => r[i].length)))
  const line = (cells: string[]) => cells.map((c, i) => (i === 0 ? c.padEnd(widths[i]) : c.padStart(widths[i]))).join('  ')
  console.log(line(header))
  console.log(widths.map((w) => '-'.repeat(w)).join('  '))
  for (const row of rows) console.log(line(row))
}

/** resultsDir is bench/results/, where results are saved. */
export const resultsDir = join(dirname(new URL(import.meta.url).pathname), '..', 'results')

/** writeResult saves a machine-readable result under bench/results/, with the date and the machine it was measured on. */
export function writeResult(name: string, result: unknown): void {
  mkdirSync(resultsDir, { recursive: true })
  writeFileSync(join(resultsDir, `${name}.json`), JSON.stringify({ node: process.version, date: new Date().toISOString(), machine: machine(), result }, null, 2))
  console.log(`\nwritten to bench/results/${name}.json`)
}

/** SavedResult is what writeResult saves: when, where (older files have no `machine`) and the benchmark's own result. */
export interface SavedResult<T> { node: string; date: string; machine?: Machine; result: T }

/** readResult reads bench/results/NAME.json as writeResult saved it, or returns null when there is none. */
export function readResult<T>(name: string): SavedResult<T> | null {
  const file = join(resultsDir, `${name}.json`)
  return existsSync(file) ? (JSON.parse(readFileSync(file, 'utf8')) as SavedResult<T>) : null
}
