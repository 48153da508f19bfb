// Judging one case from its observation: the peer's own breaches first, then the closing
// handshake and TCP close (RFC 6455 §5.5.1, §7.1.1), then the events against each outcome.
import type { Case, Event, Outcome, Role, Verdict } from './case.js'
import type { Observation } from './observation.js'

/** Judgement is a case's verdict with the reason for it, in words. */
export interface Judgement {
  verdict: Verdict
  reason: string
}

/** describeEvent is an event in a few words: `text message (12 B) "Hello"`, `pong "sync-1"`. */
export function describeEvent(event: Event): string {
  if (event.type === 'mark') return `mark ${event.name}`
  const preview = event.data.length <= 24 ? ` ${JSON.stringify(Buffer.from(event.data).toString('latin1'))}` : ''
  if (event.type === 'pong') return `pong (${event.data.length} B)${preview}`
  return `${event.opCode === 1 ? 'text' : 'binary'} message (${event.data.length} B)${preview}`
}

function sameEvent(a: Event, b: Event): boolean {
  if (a.type === 'mark' || b.type === 'mark') return a.type === b.type && (a as { name: string }).name === (b as { name: string }).name
  if (a.type !== b.type) return false
  if (a.type === 'message' && a.opCode !== (b as { opCode: number }).opCode) return false
  return Buffer.from(a.data).equals(b.data)
}

function matches(outcome: Outcome, observed: Observation): boolean {
  const { events, close, closedFirst } = observed
  return close !== null && closedFirst === outcome.closedBy && outcome.codes.includes(close.code) && sameEvents(outcome.events, events)
}

function sameEvents(expected: Event[], events: Event[]): boolean {
  return events.length === expected.length && events.every((event, i) => sameEvent(event, expected[i]))
}

function describeOutcome(outcome: Outcome): string {
  const events = outcome.events.length === 0 ? 'nothing' : outcome.events.map(describeEvent).join(', ')
  const close = outcome.closedBy === 'peer' ? `the peer fails with ${outcome.codes.join(' or ')}` : `answers the fuzzer's close with ${outcome.codes.join(' or ')}`
  return `${events}, then ${close}`
}

/** describeObservation is what the peer did, in words. */
export function describeObservation(observed: Observation): string {
  const events = observed.events.length === 0 ? 'nothing' : observed.events.slice(0, 6).map(describeEvent).join(', ') + (observed.events.length > 6 ? `, … (${observed.events.length} events)` : '')
  if (observed.close === null) return `${events}, then no close frame (TCP closed by ${observed.tcpClosedBy} at ${observed.tcpClosedAt} ms)`
  const who = observed.closedFirst === 'peer' ? 'closed first' : `answered the fuzzer's close`
  return `${events}, then ${who} with ${observed.close.code} at ${observed.close.at} ms`
}

/**
 * judge gives a case's verdict. NON-STRICT for a peer that failed as it should but dropped TCP
 * without a close frame. FAILED for any breach by the peer, a missing close frame, or,
 * when the peer is a server, a TCP connection it did not close after the closing handshake.
 * Then OK when an `ok` outcome matches exactly (NON-STRICT if the close came only after the
 * peer had answered the settling ping, that is, after it read past the fault), NON-STRICT
 * when a `nonStrict` outcome matches, FAILED otherwise. (No case here is INFORMATIONAL: each
 * has an ending the RFCs require.)
 */
export function judge(testCase: Case, observed: Observation, role: Role): Judgement {
  if (observed.violations.length > 0) return { verdict: 'FAILED', reason: `the peer broke the protocol: ${observed.violations.join('; ')}` }
  if (observed.close === null) {
    // Failing by dropping TCP without a close frame breaks a SHOULD (§7.1.7), not a MUST.
    const dropped = observed.tcpClosedBy === 'peer' && testCase.ok.some((outcome) => outcome.closedBy === 'peer' && sameEvents(outcome.events, observed.events))
    if (dropped) return { verdict: 'NON-STRICT', reason: `failed the connection without a close frame (RFC 6455 §7.1.7: it SHOULD send one): ${describeObservation(observed)}` }
    return { verdict: 'FAILED', reason: `no close frame: ${describeObservation(observed)}` }
  }
  if (role === 'client' && observed.tcpClosedBy !== 'peer') {
    return { verdict: 'FAILED', reason: `the server did not close the TCP connection after the closing handshake (RFC 6455 §5.5.1, §7.1.1)` }
  }
  if (testCase.ok.some((outcome) => matches(outcome, observed))) {
    if (observed.close.late) return { verdict: 'NON-STRICT', reason: `failed only after reading frames sent after the fault: ${describeObservation(observed)}` }
    return { verdict: 'OK', reason: describeObservation(observed) }
  }
  if (testCase.nonStrict?.some((outcome) => matches(outcome, observed))) return { verdict: 'NON-STRICT', reason: describeObservation(observed) }
  return { verdict: 'FAILED', reason: `expected ${describeOutcome(testCase.ok[0])}; got ${describeObservation(observed)}` }
}
