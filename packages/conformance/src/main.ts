// pnpm conformance: the whole suite, both directions, against our echo examples and our client
// (sections 12 and 13 once on each compression engine), and against the npm package ws for
// comparison. Writes a JSON report, prints a summary table per role, and exits with 1 when any
// ws-toolkit result is not OK, other than a decline RFC 7692 allows its engine (declines.ts).
// With --http2 the same cases run over HTTP/2 instead (RFC 8441, every case an extended CONNECT
// stream of one h2c session, http2.ts) against our h2c server and client agents; ws has no
// WebSockets over HTTP/2, so it is not run then.
//
//   pnpm conformance [--quick] [--http2] [--cases 1,6.4,13.2] [--report FILE] [--no-ws]
import { mkdirSync, writeFileSync } from 'node:fs'
import { dirname, resolve } from 'node:path'
import { parseArgs } from 'node:util'
import { allCases, selectCases } from './cases/index.js'
import { allowedDeclines } from './declines.js'
import { type Agent, allAgents, http2Agents } from './peers.js'
import { root } from './processes.js'
import { notOk, type Run, summary } from './report.js'
import type { CaseResult } from './result.js'
import { testClient, testServer } from './run.js'

const { values } = parseArgs({
  options: {
    quick: { type: 'boolean', default: false },
    cases: { type: 'string', default: '' },
    report: { type: 'string' },
    'no-ws': { type: 'boolean', default: false },
    http2: { type: 'boolean', default: false },
  },
})
const report = values.report ?? resolve(root, `packages/conformance/reports/${values.http2 ? 'conformance-h2' : 'conformance'}.json`)

const cases = selectCases(allCases({ quick: values.quick }), values.cases.split(',').filter(Boolean))
console.log(`${cases.length} cases${values.quick ? ' (quick: section 9 and the compression cases shortened)' : ''}${values.http2 ? ', over HTTP/2 (RFC 8441): a stream a case, ws-toolkit only' : ''}`)

const tested: { agent: Agent; run: Run; declined: CaseResult[] }[] = []
for (const agent of values.http2 ? http2Agents : allAgents.filter((entry) => entry.ours || !values['no-ws'])) {
  const mine = cases.filter(agent.takes)
  if (mine.length === 0) continue
  const run = agent.role === 'server' ? await testServer(agent, mine) : await testClient(agent, mine)
  tested.push({ agent, run, declined: allowedDeclines(run, mine, agent.engine) })
}
const runs = tested.map(({ run }) => run)

mkdirSync(dirname(report), { recursive: true })
// Each run with the engine its agent compressed with and the ids of the declines it was allowed.
const reported = tested.map(({ agent, run, declined }) => ({ ...run, engine: agent.engine?.name, allowedDeclines: declined.map((result) => result.id) }))
writeFileSync(report, JSON.stringify({ generated: new Date().toISOString(), quick: values.quick, cases: cases.length, runs: reported }, null, 1))

for (const role of ['server', 'client'] as const) {
  const ofRole = runs.filter((run) => run.role === role)
  if (ofRole.length > 0) console.log(`\n${role === 'server' ? 'Servers' : 'Clients'} under test\n${summary(ofRole)}`)
}
console.log()
for (const { agent, run, declined } of tested) {
  const carried = run.transport === 'http2' ? `, streams of ${run.sessions} HTTP/2 session${run.sessions === 1 ? '' : 's'}` : ''
  console.log(`${run.peer} ${run.role}: ${run.results.length} cases in ${(run.durationMs / 1000).toFixed(1)} s${carried} (${run.programs.join('; ')})`)
  if (declined.length > 0) {
    const groups = [...new Set(declined.map((result) => result.id.split('.').slice(0, 2).join('.')))]
    console.log(`  ${declined.length} INFORMATIONAL, declined as RFC 7692 allows (each asks for a window under ${agent.engine!.minWindowBits} bits, the least ${agent.engine!.name} can keep to): ${groups.join(', ')}`)
  }
  for (const line of notOk({ ...run, results: run.results.filter((result) => !declined.includes(result)) })) console.log(line)
}
console.log(`\nreport: ${report}`)
const ours = tested.filter(({ agent }) => agent.ours)
const total = ours.reduce((sum, { run }) => sum + run.results.length, 0)
const allowed = ours.reduce((sum, { declined }) => sum + declined.length, 0)
const bad = ours.flatMap(({ run, declined }) => run.results.filter((result) => result.verdict !== 'OK' && !declined.includes(result)))
if (bad.length > 0) {
  console.log(`ws-toolkit: ${bad.length} of ${total} results are not OK`)
  process.exitCode = 1
} else {
  console.log(allowed === 0 ? `ws-toolkit: all ${total} results OK` : `ws-toolkit: of ${total} results, ${total - allowed} OK and ${allowed} declines RFC 7692 allows (INFORMATIONAL)`)
}
