// The harness against our peers (every case OK, both directions, on each compression engine,
// but the declines RFC 7692 allows) and against a deliberately broken echo server (it must
// fail exactly the cases that need what the server skips).
import t from 'tap'
import type { Case, Verdict } from '../src/case.js'
import { allCases, sectionOf, selectCases } from '../src/cases/index.js'
import { allowedDeclines } from '../src/declines.js'
import { engineNamed, engines } from '../src/engines.js'
import { runServerCase } from '../src/fuzzing-client.js'
import { packageProgram, toolkitClient, toolkitClientOn, toolkitServer, toolkitServerOn } from '../src/peers.js'
import { startServer } from '../src/processes.js'
import { notOk, type Run, summary } from '../src/report.js'
import { testClient, testServer } from '../src/run.js'

const cases = allCases({ quick: true })
const verdicts = (results: { id: string; verdict: Verdict }[]) => new Map(results.map((result) => [result.id, result.verdict]))

t.test('ws-toolkit server: every case without compression OK', async (t) => {
  const mine = cases.filter(toolkitServer.takes)
  const run = await testServer(toolkitServer, mine)
  t.equal(run.results.length, mine.length)
  t.same(notOk(run), [], summary([run]))
})

t.test('ws-toolkit client: every case without compression OK', async (t) => {
  const mine = cases.filter(toolkitClient.takes)
  const run = await testClient(toolkitClient, mine)
  t.equal(run.results.length, mine.length)
  t.same(notOk(run), [], summary([run]))
})

/**
 * The groups of section 13 each engine declines, by our peer's role: those asking its own
 * compressor for a window under 15 bits, which fflate cannot keep to: server_max_window_bits
 * of 9 to 14 (13.4-9) or 9 (13.18-19) of a server, client_max_window_bits of 9 to 14
 * (13.11-16) or 9 (13.18-19) of a client.
 */
const declined: Record<string, Record<Run['role'], string[]>> = {
  fflate: { server: ['13.4', '13.5', '13.6', '13.7', '13.8', '13.9', '13.18', '13.19'], client: ['13.11', '13.12', '13.13', '13.14', '13.15', '13.16', '13.18', '13.19'] },
  zlib: { server: [], client: [] },
}
const groupOf = (id: string) => id.split('.').slice(0, 2).join('.')

for (const engine of engines) {
  for (const agent of [toolkitServerOn(engine), toolkitClientOn(engine)]) {
    t.test(`${agent.peer} ${agent.role}: sections 12 and 13 OK, but the declines RFC 7692 allows`, async (t) => {
      const mine = cases.filter(agent.takes)
      t.same([...new Set(mine.map(sectionOf))], [12, 13])
      const run = agent.role === 'server' ? await testServer(agent, mine) : await testClient(agent, mine)
      const expected = mine.filter((testCase) => declined[engine.name][agent.role].includes(groupOf(testCase.id))).map((testCase) => testCase.id)
      t.same(run.results.filter((result) => result.verdict !== 'OK').map((result) => result.id), expected, notOk(run).join('\n'))
      t.same(allowedDeclines(run, mine, engine).map((result) => result.id), expected, 'INFORMATIONAL by a decline, and allowed by the exit rule')
    })
  }
}

/** Cases whose every OK outcome needs the peer to fail, or to answer a close with something other than 1000: what the broken server cannot do. */
function needsChecks(testCase: Case): boolean {
  return testCase.ok.every((outcome) => outcome.closedBy === 'peer' || !outcome.codes.includes(1000))
}

t.test('a broken echo server fails the cases it should', async (t) => {
  const run = await testServer({ peer: 'broken', program: packageProgram('test/fixtures/broken-echo-server.ts') }, cases)
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

t.test('a compression case against a server without permessage-deflate is INFORMATIONAL, a decline only fflate may make in 13.4', async (t) => {
  const server = await startServer(toolkitServer.program) // examples/echo.ts
  t.teardown(() => server.stop())
  const compressed = selectCases(cases, ['13.1.1', '13.4.1']) // default parameters; server_max_window_bits=9
  const results = [await runServerCase(server.url, compressed[0]), await runServerCase(server.url, compressed[1])]
  for (const result of results) {
    t.equal(result.verdict, 'INFORMATIONAL')
    t.match(result.reason, /declined permessage-deflate/)
  }
  const run: Run = { peer: 'ws-toolkit', role: 'server', programs: [], durationMs: 0, results }
  t.same(allowedDeclines(run, compressed, engineNamed('fflate')).map((result) => result.id), ['13.4.1'])
  t.same(allowedDeclines(run, compressed, engineNamed('zlib')), [])
  t.same(allowedDeclines(run, compressed, undefined), [])
})

t.test('a server that is not there fails every case', async (t) => {
  const result = await runServerCase('ws://127.0.0.1:1/', cases[0])
  t.equal(result.verdict, 'FAILED')
  t.match(result.reason, /opening handshake failed/)
})
