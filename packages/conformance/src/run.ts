// Running the suite against peers under test: servers, started as programs of their own and
// attacked by the fuzzing client; clients, started against the fuzzing server.
import type { Case } from './case.js'
import { sectionOf } from './cases/index.js'
import { runServerCases } from './fuzzing-client.js'
import { FuzzingServer } from './fuzzing-server.js'
import { type Program, runClient, startServer } from './processes.js'
import type { Run } from './report.js'
import { caseResult, type CaseResult } from './result.js'
import { defaultTimeouts, type SessionTimeouts } from './observation.js'

/** ServerUnderTest is a peer's server: a program for each group of sections (null: every other section). */
export interface ServerUnderTest {
  peer: string
  programs: { sections: number[] | null; program: Program }[]
}

/** ClientUnderTest is a peer's client: a program run with the fuzzing server's URL and the agent name appended. */
export interface ClientUnderTest {
  peer: string
  program: Program
}

export interface RunOptions {
  timeouts?: SessionTimeouts
  onResult?(peer: string, result: CaseResult): void
}

/** testServer runs `cases` against each of the server's programs in turn, each on its own sections. */
export async function testServer(server: ServerUnderTest, cases: Case[], options: RunOptions = {}): Promise<Run> {
  const started = performance.now()
  const claimed = server.programs.flatMap((entry) => entry.sections ?? [])
  const results: CaseResult[] = []
  for (const { sections, program } of server.programs) {
    const mine = cases.filter((testCase) => (sections === null ? !claimed.includes(sectionOf(testCase)) : sections.includes(sectionOf(testCase))))
    if (mine.length === 0) continue
    const running = await startServer(program)
    try {
      results.push(...(await runServerCases(running.url, mine, options.timeouts, (result) => options.onResult?.(server.peer, result))))
    } finally {
      await running.stop()
    }
  }
  const order = new Map(cases.map((testCase, i) => [testCase.id, i]))
  results.sort((a, b) => order.get(a.id)! - order.get(b.id)!)
  return { peer: server.peer, role: 'server', programs: server.programs.map(({ sections, program }) => `${program.slice(1).join(' ')} (${sections === null ? (server.programs.length > 1 ? 'the other sections' : 'all sections') : `sections ${sections.join(', ')}`})`), durationMs: Math.round(performance.now() - started), results }
}

/** testClient serves `cases` and runs the client against them; a case the client never ran is FAILED. */
export async function testClient(client: ClientUnderTest, cases: Case[], options: RunOptions = {}): Promise<Run> {
  const started = performance.now()
  const server = new FuzzingServer(cases, options.timeouts ?? defaultTimeouts, (agent, result) => options.onResult?.(agent, result))
  const url = await server.listen()
  let exit: number | null
  try {
    exit = await runClient([...client.program, url, client.peer], 60 * 60_000)
  } finally {
    await server.close()
  }
  const got = new Map(server.resultsOf(client.peer).map((result) => [result.id, result]))
  const results = cases.map((testCase) => got.get(testCase.id) ?? caseResult(testCase, { verdict: 'FAILED', reason: `the client never ran this case (it exited with ${exit})` }, 0))
  return { peer: client.peer, role: 'client', programs: [client.program.slice(1).join(' ')], durationMs: Math.round(performance.now() - started), results }
}
