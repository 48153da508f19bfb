// A case's result as the report holds it: the case, its verdict and why, and a summary of
// what happened on the wire.
import type { DeflateAgreement } from '@ws-toolkit/ws-flate'
import type { Case, Verdict } from './case.js'
import type { LoggedFrame, Observation, PeerClose } from './observation.js'
import { describeEvent, type Judgement } from './verdict.js'

export interface CaseResult {
  id: string
  description: string
  expectation: string
  rfc: string
  verdict: Verdict
  reason: string
  durationMs: number
  /** The permessage-deflate agreement, for a compression case. */
  agreement?: DeflateAgreement
  wire?: {
    events: string[]
    close: PeerClose | null
    closedFirst: 'peer' | 'fuzzer' | null
    tcpClosedBy: 'peer' | 'fuzzer' | 'timeout'
    tcpClosedAt: number
    frames: LoggedFrame[]
    framesNotLogged: number
  }
}

const maxEvents = 50

/** caseResult puts a case, its judgement and its observation together. */
export function caseResult(testCase: Case, judgement: Judgement, durationMs: number, observed?: Observation, agreement?: DeflateAgreement): CaseResult {
  const { id, description, expectation, rfc } = testCase
  const result: CaseResult = { id, description, expectation, rfc, ...judgement, durationMs: Math.round(durationMs) }
  if (agreement !== undefined) result.agreement = agreement
  if (observed !== undefined) {
    const events = observed.events.slice(0, maxEvents).map(describeEvent)
    if (observed.events.length > maxEvents) events.push(`… ${observed.events.length - maxEvents} more`)
    result.wire = {
      events, close: observed.close, closedFirst: observed.closedFirst, tcpClosedBy: observed.tcpClosedBy, tcpClosedAt: observed.tcpClosedAt,
      frames: observed.frames, framesNotLogged: observed.framesNotLogged,
    }
  }
  return result
}
