// The report: every run's results as JSON, and a summary table per section with each peer's
// verdicts side by side.
import type { Verdict } from './case.js'
import type { CaseResult } from './result.js'

/** Run is one peer in one role through the suite. */
export interface Run {
  peer: string
  role: 'server' | 'client'
  /** The program that was tested, as its command line (without tsx). */
  programs: string[]
  durationMs: number
  /** Over HTTP/2 (RFC 8441): every case a stream; absent over HTTP/1.1. */
  transport?: 'http2'
  /** Over HTTP/2: how many sessions carried the cases (1 unless the peer tore one down). */
  sessions?: number
  results: CaseResult[]
}

export const sectionNames: Record<number, string> = {
  1: 'Framing', 2: 'Pings and pongs', 3: 'Reserved bits', 4: 'Reserved opcodes', 5: 'Fragmentation', 6: 'UTF-8', 7: 'Closing',
  9: 'Limits and performance', 10: 'Automatic fragmentation', 12: 'Compression: kinds and sizes', 13: 'Compression: parameters',
}

const order: Verdict[] = ['OK', 'NON-STRICT', 'INFORMATIONAL', 'FAILED']

function tally(results: CaseResult[]): string {
  const counts = new Map<Verdict, number>()
  for (const result of results) counts.set(result.verdict, (counts.get(result.verdict) ?? 0) + 1)
  return order.filter((verdict) => counts.has(verdict)).map((verdict) => `${counts.get(verdict)} ${verdict}`).join(', ') || '-'
}

/** summary is the table: one row a section (and a total), one column a run. */
export function summary(runs: Run[]): string {
  const sections = [...new Set(runs.flatMap((run) => run.results.map((result) => Number(result.id.split('.')[0]))))].sort((a, b) => a - b)
  const header = ['Section', 'Cases', ...runs.map((run) => `${run.peer} ${run.role}`)]
  const rows = sections.map((section) => {
    const of = (run: Run) => run.results.filter((result) => result.id.startsWith(`${section}.`))
    return [`${section} ${sectionNames[section] ?? ''}`.trim(), String(Math.max(...runs.map((run) => of(run).length))), ...runs.map((run) => tally(of(run)))]
  })
  rows.push(['All', String(Math.max(...runs.map((run) => run.results.length))), ...runs.map((run) => tally(run.results))])
  const widths = header.map((_, i) => Math.max(header[i].length, ...rows.map((row) => row[i].length)))
  const line = (cells: string[]) => `| ${cells.map((cell, i) => cell.padEnd(widths[i])).join(' | ')} |`
  return [line(header), line(widths.map((width) => '-'.repeat(width))), ...rows.map(line)].join('\n')
}

/** notOk lists a run's results other than OK, one line each, at most `limit`. */
export function notOk(run: Run, limit = 40): string[] {
  const lines = run.results.filter((result) => result.verdict !== 'OK').map((result) => `  ${result.id} ${result.verdict}: ${result.reason.length > 200 ? `${result.reason.slice(0, 200)}…` : result.reason}`)
  return lines.length > limit ? [...lines.slice(0, limit), `  … ${lines.length - limit} more`] : lines
}
