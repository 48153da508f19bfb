// The fuzzing client: it attacks a server under test, one connection a case, and judges what
// the server does. The opening handshake is ws-util's dial (or, over HTTP/2, dialHttp2 on a
// stream of one session: http2.ts); everything after it is the fuzzer's own (Session), so the
// server's frames are judged by code that is not the code under test.
import { acceptResponse, type DeflateAgreement, deflateOffer } from '@ws-toolkit/ws-flate'
import type { Case } from './case.js'
import { DeflateContext } from './deflate-context.js'
import { type Dialer, dialerFor, tcpDialer, type Transport } from './http2.js'
import { caseResult, type CaseResult } from './result.js'
import { defaultTimeouts, type Observation, type SessionTimeouts } from './observation.js'
import { Session } from './session.js'
import { judge } from './verdict.js'

/** The fuzzer's compressor is node:zlib, which keeps to any window from 9 bits. */
export const fuzzerMinWindowBits = 9

/** runServerCase plays `testCase` against the WebSocket server at `url`, on a connection `dialer` opens (a TCP connection of its own by default). */
export async function runServerCase(url: string, testCase: Case, timeouts: SessionTimeouts = defaultTimeouts, dialer: Dialer = tcpDialer()): Promise<CaseResult> {
  const started = performance.now()
  const failed = (reason: string) => caseResult(testCase, { verdict: 'FAILED', reason }, performance.now() - started)
  const options = testCase.compression === undefined ? null : { ...testCase.compression.options, minWindowBits: fuzzerMinWindowBits }
  const offer = options === null ? null : deflateOffer(options)
  let dialed
  try {
    dialed = await dialer.dial(url, { extensions: offer === null ? [] : [offer], timeoutMs: timeouts.closeMs * 2 })
  } catch (error) {
    return failed(`the opening handshake failed: ${(error as Error).message}`)
  }
  let agreement: DeflateAgreement | undefined
  if (offer !== null) {
    if (dialed.extensions.length === 0) {
      dialed.socket.destroy()
      return caseResult(testCase, { verdict: 'INFORMATIONAL', reason: 'the server declined permessage-deflate with these parameters, as RFC 7692 §5.1 allows: not tested' }, performance.now() - started)
    }
    try {
      agreement = acceptResponse(offer, dialed.extensions[0], options!)
    } catch (error) {
      dialed.socket.destroy()
      return failed((error as Error).message)
    }
    // What the offer said of the client binds the fuzzer even where the response does not
    // repeat it (RFC 7692 §7.1.1.2, §7.1.2.2): the server may rely on it.
    agreement.clientMaxWindowBits = Math.min(agreement.clientMaxWindowBits, options!.clientMaxWindowBits ?? 15)
    agreement.clientNoContextTakeover ||= options!.clientNoContextTakeover ?? false
  }
  const session = new Session(dialed.socket, dialed.head, 'client', agreement === undefined ? null : new DeflateContext(agreement, 'client'), timeouts)
  const observed = await play(session, testCase)
  return caseResult(testCase, judge(testCase, observed, 'client'), performance.now() - started, observed, agreement)
}

/** play runs the case's script and finishes the session; a script that throws (a harness bug) ends the connection first. */
export async function play(session: Session, testCase: Case): Promise<Observation> {
  try {
    await testCase.run(session)
  } catch (error) {
    session.destroy()
    throw error
  }
  return session.finish(testCase.ok, testCase.timeoutMs)
}

/**
 * runServerCases plays every case in order, one at a time, over `transport` (a TCP connection
 * a case, or a stream a case of one HTTP/2 session), calling `onResult` after each; with the
 * number of HTTP/2 sessions it took (0 over HTTP/1.1).
 */
export async function runServerCases(url: string, cases: Case[], timeouts: SessionTimeouts = defaultTimeouts, onResult?: (result: CaseResult) => void, transport: Transport = 'http1'): Promise<{ results: CaseResult[]; sessions: number }> {
  const results: CaseResult[] = []
  const dialer = dialerFor(transport)
  try {
    for (const testCase of cases) {
      const result = await runServerCase(url, testCase, timeouts, dialer)
      results.push(result)
      onResult?.(result)
    }
  } finally {
    dialer.close()
  }
  return { results, sessions: dialer.sessions }
}
