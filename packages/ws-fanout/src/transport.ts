/**
 * FanoutTransport is the broker a {@link Fanout} talks to: publish-subscribe by channel name,
 * at most once, in order per publishing connection (what Redis pub/sub and NATS core give).
 * Two are shipped: `RedisTransport` (`@ws-toolkit/ws-fanout/redis`) and `NatsTransport`
 * (`@ws-toolkit/ws-fanout/nats`); write your own for another broker. A transport reconnects on
 * its own and never throws for a broker that is away: a publish then rejects, and messages
 * published meanwhile by others are lost (the Fanout counts them from sequence gaps).
 */
export interface FanoutTransport {
  /**
   * publish sends `message` (the Fanout's envelope, which it does not touch afterwards) to every
   * subscriber of `channel` once. Resolves when the broker has taken it; rejects when it cannot
   * be sent now (broker away: no queueing, the message is not sent later).
   */
  publish(channel: string, message: Uint8Array): Promise<void>
  /**
   * subscribe starts delivering the messages published on `channel` to `listener`, in the
   * order the broker gives them, until {@link unsubscribe}. `message` belongs to the listener
   * only during the call (the Fanout copies what it keeps). Resolves once the broker has
   * confirmed; a transport keeps its subscriptions across reconnects. The Fanout subscribes
   * to a channel once at a time.
   */
  subscribe(channel: string, listener: (message: Uint8Array) => void): Promise<void>
  /** unsubscribe stops the deliveries of `channel`. */
  unsubscribe(channel: string): Promise<void>
  /** close ends the transport's connections to the broker. */
  close(): Promise<void>
}
