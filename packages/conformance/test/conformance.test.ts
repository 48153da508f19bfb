// The harness against our peers (every case OK, both directions) and against a deliberately
// broken echo server (it must fail exactly the cases that need what the server skips).
import t from 'tap'
import type { Case, Verdict } from '../src/case.js'
import { allCases, sectionOf, selectCases } from '../src/cases/index.js'
import { runServerCase } from '../src/fuzzing-client.js'
import { packageProgram, toolkitClient, toolkitServer } from '../src/peers.js'
import { startServer } from '../src/processes.js'
import { notOk, summary } from '../src/report.js'
import { testClient, testServer } from '../src/run.js'

const cases = allCases({ quick: true })
const verdicts = (results: { id: string; verdict: Verdict }[]) => new Map(results.map((result) => [result.id, result.verdict]))

t.test('ws-toolkit server: every case OK', async (t) => {
  const run = await testServer(toolkitServer, cases)
  t.equal(run.results.length, cases.length)
  t.same(notOk(run), [], summary([run]))
})

t.test('ws-toolkit client: every case OK', async (t) => {
  const run = await testClient(toolkitClient, cases)
  t.equal(run.results.length, cases.length)
  t.same(notOk(run), [], summary([run]))
})

/** Cases whose every OK outcome needs the peer to fail, or to answer a close with something other than 1000: what the broken server cannot do. */
function needsChecks(testCase: Case): boolean {
  return testCase.ok.every((outcome) => outcome.closedBy === 'peer' || !outcome.codes.includes(1000))
}

t.test('a broken echo server fails the cases it should', async (t) => {
  const run = await testServer({ peer: 'broken', programs: [{ sections: null, program: packageProgram('test/fixtures/broken-echo-server.ts') }] }, cases)
  const got = verdicts(run.results)
  for (const testCase of cases.filter((c) => sectionOf(c) <= 10)) {
    t.equal(got.get(testCase.id), needsChecks(testCase) ? 'FAILED' : 'OK', `${testCase.id}: ${testCase.description}`)
  }
  // It compresses with a 15-bit window and context takeover whatever it agreed to.
  for (const testCase of selectCases(cases, ['12', '13.1', '13.3', '13.10', '13.11', '13.12', '13.13', '13.14', '13.15', '13.16', '13.17'])) t.equal(got.get(testCase.id), 'OK', testCase.id)
  for (const testCase of selectCases(cases, ['13.2', '13.18'])) t.equal(got.get(testCase.id), 'FAILED', `${testCase.id}: context kept against server_no_context_takeover`)
  for (const testCase of selectCases(cases, ['13.4', '13.5', '13.6', '13.7', '13.8', '13.9', '13.19']).filter((c) => Number(c.id.split('.')[2]) >= 5)) {
    t.equal(got.get(testCase.id), 'FAILED', `${testCase.id}: a 15-bit window against server_max_window_bits`)
  }
})

t.test('a compression case against a server without permessage-deflate fails', async (t) => {
  const server = await startServer(toolkitServer.programs[1].program) // examples/echo.ts
  t.teardown(() => server.stop())
  const [compressed] = selectCases(cases, ['13.1.1'])
  const result = await runServerCase(server.url, compressed)
  t.equal(result.verdict, 'INFORMATIONAL')
  t.match(result.reason, /declined permessage-deflate/)
})

t.test('a server that is not there fails every case', async (t) => {
  const result = await runServerCase('ws://127.0.0.1:1/', cases[0])
  t.equal(result.verdict, 'FAILED')
  t.match(result.reason, /opening handshake failed/)
})
