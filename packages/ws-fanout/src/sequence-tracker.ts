/** What {@link SequenceTracker.see} makes of one message's sequence number. */
export type SequenceVerdict =
  /** the next one, or the first seen from that origin on that topic: deliver it */
  | 'next'
  /** seen already, or older than one seen: drop it (pub/sub delivers each message at most once, so this is a broker replaying or a bug) */
  | 'duplicate'
  /** newer than the next one: deliver it, the ones in between were lost ({@link SequenceTracker.lost}) */
  | 'gap'

/**
 * SequenceTracker remembers, per topic and origin, the last sequence number received, to tell
 * messages lost in the broker (pub/sub is at-most-once: a subscriber away when a message is
 * published never gets it) and duplicates from the next ones. A loss is seen when the next
 * message from the same origin on the same topic arrives; one at the end of a stream is not.
 * It holds at most `capacity` topic and origin pairs: beyond, the least recently seen pair of
 * the least recently seen topic is forgotten, and its next message counts as a first one.
 */
export class SequenceTracker {
  /** Per topic, per origin, the last number. */
  private readonly topics = new Map<string, Map<string, number>>()
  private pairs = 0
  /** lost counts the sequence numbers skipped so far: messages published that never arrived. */
  lost = 0
  /** duplicates counts the messages dropped because their number was not past the last one. */
  duplicates = 0

  /** new SequenceTracker(capacity) keeps up to `capacity` (a positive integer) topic and origin pairs. */
  constructor(private readonly capacity = 65_536) {
    if (!Number.isSafeInteger(capacity) || capacity < 1) throw new RangeError(`capacity must be a positive integer, not ${capacity}`)
  }

  /** see records `sequence` from `origin` on `topic` and says what it is. */
  see(origin: string, topic: string, sequence: number): SequenceVerdict {
    let origins = this.topics.get(topic)
    const last = origins?.get(origin)
    if (last !== undefined && sequence <= last) {
      this.duplicates++
      return 'duplicate'
    }
    if (last === undefined) {
      if (this.pairs >= this.capacity) this.evictOldest()
      if (origins === undefined || !this.topics.has(topic)) this.topics.set(topic, (origins = new Map()))
      this.pairs++
    } else {
      // Least recently used last: the pair and its topic move to the end of the eviction order.
      origins!.delete(origin)
      this.topics.delete(topic)
      this.topics.set(topic, origins!)
    }
    origins!.set(origin, sequence)
    if (last === undefined || sequence === last + 1) return 'next'
    this.lost += sequence - last - 1
    return 'gap'
  }

  /**
   * forget drops what is remembered of `topic`: call it when the node stops listening to the
   * topic, so that what is published meanwhile is not counted as lost when it listens again.
   */
  forget(topic: string): void {
    const origins = this.topics.get(topic)
    if (origins === undefined) return
    this.pairs -= origins.size
    this.topics.delete(topic)
  }

  /** size is how many topic and origin pairs are remembered. */
  get size(): number {
    return this.pairs
  }

  private evictOldest(): void {
    const [topic, origins] = this.topics.entries().next().value!
    origins.delete(origins.keys().next().value!)
    this.pairs--
    if (origins.size === 0) this.topics.delete(topic)
  }
}
