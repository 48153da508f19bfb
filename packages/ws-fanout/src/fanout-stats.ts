/** FanoutStats counts what a {@link Fanout} did since it was made. Read it at any time. */
export interface FanoutStats {
  /** published counts the messages the broker took from this node. */
  published: number
  /** publishFailed counts the messages the broker could not take (away, or refused): delivered locally, lost for the other nodes. */
  publishFailed: number
  /** received counts the messages that came from the broker from other nodes and were delivered locally. */
  received: number
  /** delivered counts the frames written to local subscribers. */
  delivered: number
  /** framesBuilt counts the frames compiled: at most one per message and variant, whatever the number of subscribers. */
  framesBuilt: number
  /** skipped counts the deliveries left out because the subscriber was slow (the `'skip'` policy). */
  skipped: number
  /** closed counts the subscribers closed because they were slow (the `1008` and `1013` policies). */
  closed: number
  /** lost counts the messages from other nodes that never arrived, seen from sequence gaps (pub/sub is at most once). */
  lost: number
  /** duplicates counts the messages dropped because they had been seen. */
  duplicates: number
  /** malformed counts the broker messages dropped because they were not envelopes or were too large. */
  malformed: number
  /** failed counts the deliveries that threw (a target's write, a subscriber's close, onSlow): the error went to `onError`, the other subscribers were served. */
  failed: number
}
