import { randomBytes } from 'node:crypto'
import { isValidUtf8 } from '@ws-toolkit/ws-core'
import { defaultEngine } from '@ws-toolkit/ws-flate'
import { decodeEnvelope, encodeEnvelope, encodeOrigin } from './envelope.js'
import { type FanoutOptions, maxCoalescedBytes, maxCoalescedMessages } from './fanout-options.js'
import type { FanoutStats } from './fanout-stats.js'
import { MessageFrames, SharedDeflaters } from './message-frames.js'
import { SequenceTracker } from './sequence-tracker.js'
import type { SlowPolicy, Subscriber } from './subscriber.js'
import type { FanoutTransport } from './transport.js'

/** A message waiting to be delivered to the members its topic had when it came. */
interface Waiting {
  readonly topic: string
  /** The topic's member set when the message came: if the topic was dropped since, the message is not delivered. */
  readonly members: Set<Subscriber>
  readonly binary: boolean
  readonly payload: Uint8Array
}

/** A topic with local subscribers. */
interface Topic {
  readonly members: Set<Subscriber>
  /** Settles when the broker subscription is made. */
  readonly ready: Promise<void>
}

const encoder = new TextEncoder()

/**
 * Fanout delivers messages published on topics to the local subscribers of every node that
 * shares a broker: a publish goes to the broker once; each node gets it once, compiles its
 * frame once (RFC 6455 §5.2; compressed once per window size for subscribers whose agreement
 * keeps no server context, RFC 7692 §7.1.1.1) and writes those same bytes to each local
 * subscriber of the topic. The publishing node delivers to its own subscribers at once (or at
 * the end of the `coalesceMs` window), not through the broker (its own copy coming back is
 * dropped). Per publisher and topic the order is kept; every message carries a sequence
 * number, so that what the broker lost while a node or the broker was away is counted
 * ({@link FanoutStats.lost}), never silent. No timer but the `coalesceMs` window's; it holds
 * the topics' member sets, one sequence number per topic it published on, and the loss
 * tracker's numbers. A transport serves one Fanout. Whoever can publish on the broker is
 * trusted: a forged envelope can silence a node's messages on a topic (protect the broker with
 * its ACLs).
 */
export class Fanout {
  /** id names this Fanout in its envelopes: `name` and a random part, unique per process run. */
  readonly id: string
  /** stats counts what this Fanout did. */
  readonly stats: FanoutStats = { published: 0, publishFailed: 0, received: 0, delivered: 0, framesBuilt: 0, skipped: 0, closed: 0, lost: 0, duplicates: 0, malformed: 0, failed: 0 }
  private readonly origin: Uint8Array
  private readonly transport: FanoutTransport
  private readonly prefix: string
  private readonly maxBuffered: number
  private readonly slow: SlowPolicy
  private readonly onSlow: ((subscriber: Subscriber, topic: string) => void) | undefined
  private readonly onError: (error: unknown) => void
  private readonly maxMessageSize: number
  private readonly deflaters: SharedDeflaters | null
  private readonly tracker: SequenceTracker
  private readonly topics = new Map<string, Topic>()
  private readonly memberships = new Map<Subscriber, Set<string>>()
  /** The last sequence number this node used per topic. */
  private readonly sequences = new Map<string, number>()
  /** Per channel, the last broker operation (subscribe or unsubscribe), so that they run in order. */
  private readonly pending = new Map<string, Promise<void>>()
  /**
   * Messages waiting to be delivered, in order: those published from inside a delivery (a
   * subscriber's write or close, onSlow), which wait until it is over, and with `coalesceMs`
   * those waiting for the window to end.
   */
  private readonly backlog: Waiting[] = []
  /** A delivery is running. */
  private delivering = false
  private readonly coalesceMs: number
  /** With `coalesceMs`: the window's timer while messages wait, and their payload bytes. */
  private window: NodeJS.Timeout | null = null
  private backlogBytes = 0

  /** new Fanout(options) checks the options (a RangeError for a bad one); nothing is sent until a subscribe or publish. */
  constructor(options: FanoutOptions) {
    const { transport, name = 'node', channelPrefix = 'ws-fanout:', maxBuffered = 1024 * 1024, slow = 'skip', maxMessageSize = 16 * 1024 * 1024, coalesceMs = 0 } = options
    if (slow !== 'skip' && slow !== 1008 && slow !== 1013) throw new RangeError(`slow must be 'skip', 1008 or 1013, not ${String(slow)}`)
    if (!(coalesceMs >= 0 && coalesceMs <= 1000)) throw new RangeError(`invalid coalesceMs ${coalesceMs}: 0 to 1,000`)
    if (!(maxBuffered >= 0)) throw new RangeError(`invalid maxBuffered ${maxBuffered}`)
    if (!Number.isSafeInteger(maxMessageSize) || maxMessageSize < 0) throw new RangeError(`invalid maxMessageSize ${maxMessageSize}`)
    if (encoder.encode(name).length > 200) throw new RangeError('name is at most 200 bytes')
    this.id = `${name}:${randomBytes(8).toString('hex')}`
    this.origin = encodeOrigin(this.id)
    this.transport = transport
    this.prefix = channelPrefix
    this.maxBuffered = maxBuffered
    this.slow = slow
    this.onSlow = options.onSlow
    this.onError = options.onError ?? (() => {})
    this.maxMessageSize = maxMessageSize
    this.coalesceMs = coalesceMs
    this.deflaters = options.compression === false ? null : new SharedDeflaters(options.compression ?? { engine: defaultEngine() })
    this.tracker = new SequenceTracker(options.trackerCapacity)
  }

  /**
   * subscribe adds `subscriber` to `topic`'s local members; the first member makes the node
   * subscribe to the topic's channel. Resolves once the broker has confirmed (at once for a
   * topic already subscribed). The subscriber receives the messages delivered after the call,
   * including those published before the broker confirmed that reach it from this node. If the
   * broker refuses, the topic's members are dropped and the promise rejects. Under the close
   * policies a subscriber without `close` is a TypeError.
   */
  subscribe(topic: string, subscriber: Subscriber): Promise<void> {
    if (this.slow !== 'skip' && typeof subscriber.close !== 'function') throw new TypeError(`the slow policy ${this.slow} closes subscribers: this one has no close`)
    let entry = this.topics.get(topic)
    if (entry === undefined) {
      const channel = this.prefix + topic
      const members = new Set<Subscriber>()
      // Messages still in flight for an earlier subscription of the topic are not this one's.
      const listener = (message: Uint8Array) => {
        if (this.topics.get(topic)?.members === members) this.receive(topic, message)
      }
      this.tracker.forget(topic)
      const ready = this.queue(channel, () => this.transport.subscribe(channel, listener))
      const made: Topic = { members, ready }
      ready.catch(() => {
        if (this.topics.get(topic) !== made) return
        for (const member of made.members) this.leave(member, topic)
        this.topics.delete(topic)
      })
      this.topics.set(topic, (entry = made))
    }
    entry.members.add(subscriber)
    let topics = this.memberships.get(subscriber)
    if (topics === undefined) this.memberships.set(subscriber, (topics = new Set()))
    topics.add(topic)
    return entry.ready
  }

  /** unsubscribe takes `subscriber` out of `topic`; the last one out makes the node unsubscribe from the channel. False if it was not in. */
  unsubscribe(topic: string, subscriber: Subscriber): boolean {
    const entry = this.topics.get(topic)
    if (entry === undefined || !entry.members.delete(subscriber)) return false
    this.leave(subscriber, topic)
    if (entry.members.size === 0) this.dropTopic(topic)
    return true
  }

  /** unsubscribeAll takes `subscriber` out of every topic (call it when its connection closes); returns how many. */
  unsubscribeAll(subscriber: Subscriber): number {
    const topics = this.memberships.get(subscriber)
    if (topics === undefined) return 0
    let count = 0
    for (const topic of [...topics]) if (this.unsubscribe(topic, subscriber)) count++
    return count
  }

  /** members is how many local subscribers `topic` has. */
  members(topic: string): number {
    return this.topics.get(topic)?.members.size ?? 0
  }

  /**
   * publish sends `message` to every subscriber of `topic` on every node: to this node's at
   * once (with `coalesceMs`, at the window's end), to the others through the broker. A string
   * is a text message (RFC 6455 §5.6); bytes are binary unless `binary` is false, and then must
   * be valid UTF-8 (a TypeError otherwise, §8.1). `message` is copied before publish returns.
   * Resolves true once the broker has taken it, false if it could not (counted in
   * {@link FanoutStats.publishFailed}, the error given to `onError`); never rejects. Larger
   * than `maxMessageSize` is a RangeError.
   */
  publish(topic: string, message: string | Uint8Array, binary = typeof message !== 'string'): Promise<boolean> {
    const payload = typeof message === 'string' ? encoder.encode(message) : message
    if (payload.length > this.maxMessageSize) throw new RangeError(`a message of ${payload.length} bytes is over maxMessageSize (${this.maxMessageSize})`)
    if (!binary && typeof message !== 'string' && !isValidUtf8(payload)) throw new TypeError('a text message must be valid UTF-8 (RFC 6455 §8.1)')
    const sequence = (this.sequences.get(topic) ?? 0) + 1
    this.sequences.set(topic, sequence)
    const envelope = encodeEnvelope(this.origin, sequence, binary, payload)
    // To the broker first: a message published from inside this delivery (a subscriber's
    // close announcing it) is numbered after this one and must reach the broker after it.
    let sent: Promise<void>
    try {
      sent = this.transport.publish(this.prefix + topic, envelope)
    } catch (error) {
      sent = Promise.reject(error)
    }
    this.deliver(topic, binary, envelope.subarray(envelope.length - payload.length), false)
    return sent.then(
      () => {
        this.stats.published++
        return true
      },
      (error: unknown) => {
        this.stats.publishFailed++
        this.onError(error)
        return false
      },
    )
  }

  /**
   * close delivers the messages waiting for their `coalesceMs` window, then takes every
   * subscriber out of every topic and sends the broker the unsubscribes of their channels,
   * without waiting for its answers (the broker may be away; a failure goes to `onError`).
   * The transport stays open: its owner closes it.
   */
  async close(): Promise<void> {
    try {
      if (this.window !== null) this.deliverWaiting()
    } finally {
      for (const topic of [...this.topics.keys()]) {
        for (const member of this.topics.get(topic)!.members) this.leave(member, topic)
        this.dropTopic(topic)
      }
    }
  }

  /** receive handles one message from the broker on `topic`'s channel. */
  private receive(topic: string, message: Uint8Array): void {
    // Called only while the topic has local members (see subscribe).
    const envelope = decodeEnvelope(message)
    if (envelope === null || envelope.payload.length > this.maxMessageSize || (!envelope.binary && !isValidUtf8(envelope.payload))) {
      this.stats.malformed++
      return
    }
    if (envelope.origin === this.id) return // this node's own, delivered when published
    const verdict = this.tracker.see(envelope.origin, topic, envelope.sequence)
    this.stats.lost = this.tracker.lost
    if (verdict === 'duplicate') {
      this.stats.duplicates = this.tracker.duplicates
      return
    }
    this.stats.received++
    this.deliver(topic, envelope.binary, envelope.payload, true)
  }

  /**
   * deliver writes the message to every local subscriber of `topic`, or queues it for the
   * members the topic has now: one published from inside a delivery waits until it is over, so
   * that every subscriber sees messages in the same order, and with `coalesceMs` every message
   * waits for the window's end. A queued `borrowed` payload (a view the transport lends only
   * during its call) is copied.
   */
  private deliver(topic: string, binary: boolean, payload: Uint8Array, borrowed: boolean): void {
    const members = this.topics.get(topic)?.members
    if (members === undefined) return // no local subscriber
    if (this.delivering || this.coalesceMs > 0) {
      this.backlog.push({ topic, members, binary, payload: borrowed ? new Uint8Array(payload) : payload }) // a copy (Buffer.slice would not copy)
      if (this.delivering) return
      this.backlogBytes += payload.length
      if (this.backlog.length >= maxCoalescedMessages || this.backlogBytes >= maxCoalescedBytes) this.deliverWaiting()
      else this.window ??= setTimeout(() => this.deliverWaiting(), this.coalesceMs)
      return
    }
    this.delivering = true
    try {
      this.deliverNow(topic, members, binary, payload)
    } finally {
      this.deliverBacklog()
    }
  }

  /** deliverWaiting ends a `coalesceMs` window: every waiting message is delivered, in order. */
  private deliverWaiting(): void {
    if (this.window !== null) clearTimeout(this.window)
    this.window = null
    this.backlogBytes = 0
    this.delivering = true
    this.deliverBacklog()
  }

  /**
   * deliverBacklog delivers the backlog, including what is added to it meanwhile, empties it
   * and ends the delivery. Should one throw (only `onError` can), the rest are still delivered
   * and the first error is thrown after them.
   */
  private deliverBacklog(): void {
    let failed = false
    let failure: unknown
    for (let i = 0; i < this.backlog.length; i++) {
      const next = this.backlog[i]!
      try {
        this.deliverNow(next.topic, next.members, next.binary, next.payload)
      } catch (error) {
        if (!failed) [failed, failure] = [true, error]
      }
    }
    this.backlog.length = 0
    this.delivering = false
    if (failed) throw failure
  }

  /**
   * deliverNow writes the message's frames, built once each, to every subscriber in `members`,
   * the member set `topic` had when the message came, unless the topic was dropped since.
   */
  private deliverNow(topic: string, members: Set<Subscriber>, binary: boolean, payload: Uint8Array): void {
    if (this.topics.get(topic)?.members !== members) return
    const frames = new MessageFrames(binary, payload, this.deflaters)
    for (const subscriber of members) {
      try {
        if (subscriber.target.writableLength > this.maxBuffered) {
          this.slowSubscriber(subscriber, topic)
          continue
        }
        subscriber.target.write(frames.for(subscriber.deflate))
        this.stats.delivered++
      } catch (error) {
        this.stats.failed++
        this.onError(error)
      }
    }
    this.stats.framesBuilt += frames.built
  }

  private slowSubscriber(subscriber: Subscriber, topic: string): void {
    this.onSlow?.(subscriber, topic)
    if (this.slow === 'skip') {
      this.stats.skipped++
      return
    }
    this.stats.closed++
    this.unsubscribeAll(subscriber)
    subscriber.close!(this.slow, this.slow === 1008 ? 'too slow to keep up' : 'too slow, try again later')
  }

  /** leave forgets that `subscriber` is in `topic` (its membership only). */
  private leave(subscriber: Subscriber, topic: string): void {
    const topics = this.memberships.get(subscriber)! // a member of a topic has the topic in its memberships
    topics.delete(topic)
    if (topics.size === 0) this.memberships.delete(subscriber)
  }

  /** dropTopic forgets `topic` and unsubscribes from its channel, after any subscription in progress. */
  private dropTopic(topic: string): void {
    this.topics.delete(topic)
    this.tracker.forget(topic) // what is published while no one here listens is not lost
    const channel = this.prefix + topic
    this.queue(channel, () => this.transport.unsubscribe(channel)).catch(this.onError)
  }

  /** queue runs `operation` on `channel` after the one before it has settled, and returns its promise. */
  private queue(channel: string, operation: () => Promise<void>): Promise<void> {
    const before = this.pending.get(channel)
    const run = before === undefined ? operation() : before.then(operation, operation)
    this.pending.set(channel, run)
    const settled = () => {
      if (this.pending.get(channel) === run) this.pending.delete(channel)
    }
    run.then(settled, settled)
    return run
  }
}
