// Running the suite against peers under test: servers, started as programs of their own and
// attacked by the fuzzing client; clients, started against the fuzzing server.
import type { Case } from './case.js'
import { runServerCases } from './fuzzing-client.js'
import { FuzzingServer } from './fuzzing-server.js'
import { type Program, runClient, startServer } from './processes.js'
import type { Run } from './report.js'
import { caseResult, type CaseResult } from './result.js'
import { defaultTimeouts, type SessionTimeouts } from './observation.js'
import type { Transport } from './http2.js'

/**
 * PeerUnderTest is a program under test and the agent name its results go by (`ws-toolkit
 * (fflate)`). A server prints "listening on HOST:PORT"; a client is run with the fuzzing
 * server's URL and the agent name appended to its command line.
 */
export interface PeerUnderTest {
  peer: string
  program: Program
  /**
   * What the cases run on: HTTP/1.1 upgrades of TCP connections (the default), or extended
   * CONNECT streams of HTTP/2 sessions (RFC 8441; the fuzzer's side in http2.ts). A server
   * under test over HTTP/2 is an h2c server; a client under test is given the h2c fuzzing
   * server's `ws://` URL and must dial it over HTTP/2.
   */
  transport?: Transport
}

export interface RunOptions {
  timeouts?: SessionTimeouts
  onResult?(peer: string, result: CaseResult): void
}

/** testServer starts the server and runs `cases` against it. */
export async function testServer(server: PeerUnderTest, cases: Case[], options: RunOptions = {}): Promise<Run> {
  const started = performance.now()
  const running = await startServer(server.program)
  let ran: { results: CaseResult[]; sessions: number }
  try {
    ran = await runServerCases(running.url, cases, options.timeouts, (result) => options.onResult?.(server.peer, result), server.transport)
  } finally {
    await running.stop()
  }
  return { peer: server.peer, role: 'server', programs: [shown(server.program)], durationMs: Math.round(performance.now() - started), ...over(server, ran.sessions), results: ran.results }
}

/** testClient serves `cases` and runs the client against them; a case the client never ran is FAILED. */
export async function testClient(client: PeerUnderTest, cases: Case[], options: RunOptions = {}): Promise<Run> {
  const started = performance.now()
  const server = new FuzzingServer(cases, options.timeouts ?? defaultTimeouts, (agent, result) => options.onResult?.(agent, result), client.transport)
  const url = await server.listen()
  let exit: number | null
  try {
    exit = await runClient([...client.program, url, client.peer], 60 * 60_000)
  } finally {
    await server.close()
  }
  const got = new Map(server.resultsOf(client.peer).map((result) => [result.id, result]))
  const results = cases.map((testCase) => got.get(testCase.id) ?? caseResult(testCase, { verdict: 'FAILED', reason: `the client never ran this case (it exited with ${exit})` }, 0))
  return { peer: client.peer, role: 'client', programs: [shown(client.program)], durationMs: Math.round(performance.now() - started), ...over(client, server.sessions), results }
}

/** over is a run's transport for the report: nothing over HTTP/1.1; over HTTP/2, how many sessions carried its cases. */
function over(peer: PeerUnderTest, sessions: number): Pick<Run, 'transport' | 'sessions'> {
  return peer.transport === 'http2' ? { transport: 'http2', sessions } : {}
}

/** shown is a program's command line without the executable (tsx), for the report. */
function shown(program: Program): string {
  return program.slice(1).join(' ')
}
