// What a conformance case is: a script the fuzzer plays against the peer under test, and the
// outcomes that earn each verdict, each stated with the RFC section it comes from.
import type { DeflateNegotiationOptions } from '@ws-toolkit/ws-flate'
import type { Session } from './session.js'
import { bytesOf } from './frame-codec.js'

/** The fuzzer's role: `client` attacks a server under test, `server` a client under test. */
export type Role = 'client' | 'server'

/** Verdicts, as Autobahn|Testsuite gives them. */
export type Verdict = 'OK' | 'NON-STRICT' | 'INFORMATIONAL' | 'FAILED'

/**
 * Event is something the peer did, in the order it did it, up to its close frame: a whole
 * data message (decompressed), a pong, or a `mark` the script set between its own actions
 * (so an outcome can say whether the peer acted before or after the fuzzer did something).
 */
export type Event =
  | { type: 'message'; opCode: number; data: Uint8Array }
  | { type: 'pong'; data: Uint8Array }
  | { type: 'mark'; name: string }

/**
 * Outcome is one acceptable ending: exactly these events, then the close frames. `closedBy`
 * says who sends the first close frame: the peer failing the connection (§7.1.7) with one of
 * `codes`, or the fuzzer closing normally once the events are in, the peer answering with one
 * of `codes` (§5.5.1). 1005 stands for a close frame without a code.
 */
export interface Outcome {
  events: Event[]
  closedBy: 'peer' | 'fuzzer'
  codes: number[]
}

/** Compression a case negotiates (RFC 7692 §7.1): the client's offer or the server's answer. */
export interface CaseCompression {
  /** The parameters the fuzzer asks for (as a client, in its offer; as a server, in its answer). */
  options: DeflateNegotiationOptions
}

/** Case is one conformance case. */
export interface Case {
  /** Autobahn-style number, `section.group.case`. */
  id: string
  description: string
  /** What the peer must do, in words. */
  expectation: string
  /** Where the rule comes from: `RFC 6455 §5.5.2`. */
  rfc: string
  compression?: CaseCompression
  /** The script; the session closes what is left open once it returns. */
  run(session: Session): Promise<void>
  ok: Outcome[]
  nonStrict?: Outcome[]
  /** How long the case may take before the fuzzer gives up waiting (default 10 s). */
  timeoutMs?: number
}

/** A data message event. */
export function message(opCode: number, data: Uint8Array | string): Event {
  return { type: 'message', opCode, data: bytesOf(data) }
}

/** A pong event. */
export function pong(data: Uint8Array | string = ''): Event {
  return { type: 'pong', data: bytesOf(data) }
}

/** A mark event. */
export function mark(name: string): Event {
  return { type: 'mark', name }
}

/**
 * The peer echoes `events` and answers the fuzzer's normal close with 1000, or with a close
 * frame without a code (1005): echoing the code is usual, not required (§5.5.1).
 */
export function echoes(...events: Event[]): Outcome[] {
  return [{ events, closedBy: 'fuzzer', codes: [1000, 1005] }]
}

/** The peer answers the fuzzer's (first) close frame with one of `codes`, after `events`. */
export function answersClose(codes: number[], ...events: Event[]): Outcome[] {
  return [{ events, closedBy: 'fuzzer', codes }]
}

/** The peer fails the connection with `code` after `events` (§7.1.7). */
export function fails(code: number, ...events: Event[]): Outcome[] {
  return [{ events, closedBy: 'peer', codes: [code] }]
}
