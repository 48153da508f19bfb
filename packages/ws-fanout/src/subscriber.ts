import type { DeflateAgreement } from '@ws-toolkit/ws-flate'
import type { BroadcastTarget } from '@ws-toolkit/ws-util'

/**
 * Subscriber is one local connection as a {@link Fanout} sees it: where frames go, what
 * permessage-deflate it agreed (RFC 7692), and how to close it. The Fanout writes whole frames
 * to `target` between the application's own messages: the target must not be in the middle of
 * a fragmented message of the application's (RFC 6455 §5.4), so write your own messages
 * whole, as a {@link BroadcastTarget} such as ws-util's BatchWriter does.
 */
export interface Subscriber {
  /**
   * target receives compiled, unmasked server frames (RFC 6455 §5.1): a socket or a BatchWriter.
   * The bytes are shared by every subscriber of the node and must not be changed.
   */
  readonly target: BroadcastTarget
  /**
   * deflate is the connection's permessage-deflate agreement, or null/absent without it. With
   * `serverNoContextTakeover` (RFC 7692 §7.1.1.1) the subscriber gets the node's compressed
   * frame (RSV1, §6), made once per window size for every such subscriber; otherwise, the
   * uncompressed frame, which §6 allows on any connection and which leaves the connection's
   * own compressor and its context untouched.
   */
  readonly deflate?: DeflateAgreement | null | undefined
  /**
   * close sends a close frame with `code` and `reason` (RFC 6455 §5.5.1, §7.4.1), e.g. a
   * ws-util MessageReader's or DataReader's `close`: called by the `close` slow policy.
   */
  close?(code: number, reason: string): void
}

/**
 * SlowPolicy says what a {@link Fanout} does with a subscriber whose target has more than
 * `maxBuffered` bytes waiting when a message arrives: `'skip'` leaves it out of this message
 * (counted; it may catch up with later ones, having missed this one), `1008` and `1013` close
 * it with that code (RFC 6455 §7.4.1: policy violation, or "try again later" as registered
 * by IANA) and unsubscribe it from every topic of the Fanout.
 */
export type SlowPolicy = 'skip' | 1008 | 1013
