// pnpm conformance: the whole suite, both directions, against our echo examples and our client,
// and against the npm package ws for comparison. Writes a JSON report, prints a summary table
// per section, and exits with 1 when any case is not OK for ws-toolkit.
//
//   pnpm conformance [--quick] [--cases 1,6.4,13.2] [--report FILE] [--no-ws]
import { mkdirSync, writeFileSync } from 'node:fs'
import { dirname, resolve } from 'node:path'
import { parseArgs } from 'node:util'
import { allCases, selectCases } from './cases/index.js'
import { toolkitClient, toolkitServer, wsClient, wsServer } from './peers.js'
import { root } from './processes.js'
import { notOk, type Run, summary } from './report.js'
import { type ClientUnderTest, type ServerUnderTest, testClient, testServer } from './run.js'

const { values } = parseArgs({
  options: {
    quick: { type: 'boolean', default: false },
    cases: { type: 'string', default: '' },
    report: { type: 'string', default: resolve(root, 'packages/conformance/reports/conformance.json') },
    'no-ws': { type: 'boolean', default: false },
  },
})

const servers: ServerUnderTest[] = [toolkitServer, wsServer]
const clients: ClientUnderTest[] = [toolkitClient, wsClient]

const cases = selectCases(allCases({ quick: values.quick }), values.cases.split(',').filter(Boolean))
const compared = (peer: string) => peer === 'ws-toolkit' || !values['no-ws']
console.log(`${cases.length} cases${values.quick ? ' (quick: section 9 and the compression cases shortened)' : ''}`)

const runs: Run[] = []
for (const server of servers.filter((entry) => compared(entry.peer))) runs.push(await testServer(server, cases))
for (const client of clients.filter((entry) => compared(entry.peer))) runs.push(await testClient(client, cases))

mkdirSync(dirname(values.report), { recursive: true })
writeFileSync(values.report, JSON.stringify({ generated: new Date().toISOString(), quick: values.quick, cases: cases.length, runs }, null, 1))

console.log(`\n${summary(runs)}\n`)
for (const run of runs) {
  console.log(`${run.peer} ${run.role}: ${run.results.length} cases in ${(run.durationMs / 1000).toFixed(1)} s (${run.programs.join('; ')})`)
  for (const line of notOk(run)) console.log(line)
}
console.log(`\nreport: ${values.report}`)
const ours = runs.filter((run) => run.peer === 'ws-toolkit').flatMap((run) => run.results)
const bad = ours.filter((result) => result.verdict !== 'OK')
if (bad.length > 0) {
  console.log(`ws-toolkit: ${bad.length} of ${ours.length} cases are not OK`)
  process.exitCode = 1
} else {
  console.log(`ws-toolkit: all ${ours.length} results OK`)
}
