// What a session observes on the wire, and the bounds on its waits: the types the verdict
// and the report read.
import type { Event } from './case.js'

/** SessionTimeouts bounds every wait a session makes (milliseconds). */
export interface SessionTimeouts {
  /** For the case's events, or the peer's failure, once the script is done. */
  caseMs: number
  /** For the peer's close frame after the fuzzer's, and for a server to close TCP after the closing handshake. */
  closeMs: number
  /** For a close that comes after the peer answered the settling ping (a late failure). */
  lateMs: number
}

export const defaultTimeouts: SessionTimeouts = { caseMs: 10_000, closeMs: 2_000, lateMs: 300 }

/** LoggedFrame is one frame on the wire, either way, `at` milliseconds into the case. */
export interface LoggedFrame {
  at: number
  dir: 'sent' | 'received'
  opCode: number
  fin: boolean
  rsv: number
  length: number
}

/** PeerClose is the peer's close frame: code (1005 when it had none), reason, when, and whether it came after the peer had answered the settling ping. */
export interface PeerClose {
  code: number
  reason: string
  at: number
  late: boolean
}

/** Observation is what happened on the wire during one case. */
export interface Observation {
  events: Event[]
  close: PeerClose | null
  /** Who sent the first close frame. */
  closedFirst: 'peer' | 'fuzzer' | null
  /** Who closed the TCP connection first: the peer, the fuzzer (as a server must, §7.1.1), or the fuzzer after waiting in vain. */
  tcpClosedBy: 'peer' | 'fuzzer' | 'timeout'
  tcpClosedAt: number
  /** The peer's own breaches of the protocol, in what it sent. */
  violations: string[]
  frames: LoggedFrame[]
  framesNotLogged: number
}

/** validCloseCode: codes an endpoint may send (RFC 6455 §7.4.1, §7.4.2, IANA registry). */
export function validCloseCode(code: number): boolean {
  return (code >= 1000 && code <= 1003) || (code >= 1007 && code <= 1014) || (code >= 3000 && code <= 4999)
}

const utf8 = new TextDecoder('utf-8', { fatal: true })

/** validUtf8: `bytes` are UTF-8 by the standard's own decoder (RFC 3629), not the toolkit's validator. */
export function validUtf8(bytes: Uint8Array): boolean {
  try {
    utf8.decode(bytes)
    return true
  } catch {
    return false
  }
}
