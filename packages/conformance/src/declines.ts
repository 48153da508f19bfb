// The compression cases a peer may leave untested: RFC 7692 lets a side whose compressor
// cannot keep to a window decline to use one (the fflate engine cannot go below 15 bits).
// These INFORMATIONAL results do not fail a ws-toolkit run; every other result that is not OK does.
import type { DeflateEngine } from '@ws-toolkit/ws-flate'
import type { Case } from './case.js'
import type { Run } from './report.js'
import type { CaseResult } from './result.js'

/**
 * ownWindowBits is the window a case asks of the peer's own compressor: server_max_window_bits
 * of a server, client_max_window_bits of a client; 15 (no limit) when it asks none.
 */
function ownWindowBits(testCase: Case, role: Run['role']): number {
  const options = testCase.compression?.options ?? {}
  return (role === 'server' ? options.serverMaxWindowBits : options.clientMaxWindowBits) ?? 15
}

/**
 * mayDecline says whether a peer compressing with `engine` may go without compression in
 * `testCase`: when the case asks its compressor for a window below the engine's
 * `minWindowBits`. A server declines such an offer (RFC 7692 §7.1.2.1: it declines an offer
 * whose server_max_window_bits it cannot honour). A client that cannot limit its window does
 * not offer client_max_window_bits, and a server must not answer with it unoffered
 * (§7.1.2.2), so the fuzzing server, needing it, declines the offer (§5.1).
 */
function mayDecline(testCase: Case, role: Run['role'], engine: DeflateEngine): boolean {
  return testCase.compression !== undefined && ownWindowBits(testCase, role) < engine.minWindowBits
}

/**
 * allowedDeclines is the results of `run` (of `cases`, by a peer compressing with `engine`, or
 * with none) that are declines the RFC allows: INFORMATIONAL without an agreement (the
 * fuzzer's verdict when permessage-deflate was declined, and only then) in a case the engine
 * {@link mayDecline}. None without an engine.
 */
export function allowedDeclines(run: Run, cases: Case[], engine: DeflateEngine | undefined): CaseResult[] {
  if (engine === undefined) return []
  const byId = new Map(cases.map((testCase) => [testCase.id, testCase]))
  return run.results.filter((result) => result.verdict === 'INFORMATIONAL' && result.agreement === undefined && mayDecline(byId.get(result.id)!, run.role, engine))
}
