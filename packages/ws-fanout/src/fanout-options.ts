import type { CompressionOptions } from './message-frames.js'
import type { SlowPolicy, Subscriber } from './subscriber.js'
import type { FanoutTransport } from './transport.js'

/** FanoutOptions configures a {@link Fanout}; only `transport` is required. */
export interface FanoutOptions {
  /** transport is the broker (see {@link FanoutTransport}). The caller owns it and closes it. */
  transport: FanoutTransport
  /**
   * name starts this Fanout's id, which a random part makes unique per process run (so that a
   * restarted node's sequence numbers are not taken for duplicates): 1 to 200 bytes of UTF-8.
   * Default `'node'`.
   */
  name?: string | undefined
  /** channelPrefix goes before each topic to name its broker channel. Default `'ws-fanout:'`. */
  channelPrefix?: string | undefined
  /** A subscriber whose target has more than this many bytes waiting is slow (see `slow`). Default 1 MiB. */
  maxBuffered?: number | undefined
  /** slow is what happens to a slow subscriber ({@link SlowPolicy}). Default `'skip'`. */
  slow?: SlowPolicy | undefined
  /** onSlow is told of each slow subscriber, before the policy is applied: log it, count it per topic. */
  onSlow?: ((subscriber: Subscriber, topic: string) => void) | undefined
  /**
   * compression: how frames for subscribers that agreed permessage-deflate without server
   * context takeover are compressed (RFC 7692 §7.1.1.1), or `false` to send every frame
   * uncompressed. Default `{ engine: defaultEngine() }`, threshold 128 bytes.
   */
  compression?: CompressionOptions | false | undefined
  /**
   * The largest message, in bytes, published or accepted from the broker (a larger one is a
   * RangeError to publish, and dropped and counted as malformed when received). Default 16 MiB.
   */
  maxMessageSize?: number | undefined
  /**
   * coalesceMs holds each message up to this many milliseconds before it is delivered, so that
   * the messages of that window go to each subscriber together: a subscriber whose target is a
   * ws-util `BatchWriter` gets them in one socket write (a `writev`) per `bufferSize` (64 KiB)
   * instead of one write each. Uncompressed, the write is most of a delivery's cost, so a
   * window holding n small messages costs each subscriber about 1/n of the writes, for up to
   * `coalesceMs` of added latency (a trade for busy topics: market data, game state; a quiet
   * chat gains nothing). Messages keep their order; at the window's end each goes to its
   * topic's members, unless the node stopped listening to the topic since it came. At most
   * {@link maxCoalescedMessages} messages or {@link maxCoalescedBytes} bytes wait, beyond which
   * they are delivered at once. 0 (the default) delivers each message when it arrives. At most
   * 1,000. `onError` must not throw: at the window's end it would throw from a timer.
   */
  coalesceMs?: number | undefined
  /** How many origin and topic pairs the loss and duplicate tracking remembers. Default 65,536. */
  trackerCapacity?: number | undefined
  /**
   * onError is told of what the transport could not do (a publish refused, an unsubscribe
   * failed) and of what a subscriber threw while being delivered to. Default: nothing.
   */
  onError?: ((error: unknown) => void) | undefined
}

/** With `coalesceMs`, the messages waiting that make the Fanout deliver at once. */
export const maxCoalescedMessages = 1024
/** With `coalesceMs`, the bytes of payload waiting that make the Fanout deliver at once. */
export const maxCoalescedBytes = 1024 * 1024
