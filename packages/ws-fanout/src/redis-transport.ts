/**
 * The Redis transport of ws-fanout: `@ws-toolkit/ws-fanout/redis`, on the official client
 * `@redis/client` (a peer dependency: install it next to this package).
 *
 * @module @ws-toolkit/ws-fanout/redis
 */
import { createClient, type RedisClientOptions } from '@redis/client'
import type { FanoutTransport } from './transport.js'

/**
 * RedisPublisher is what {@link RedisTransport} needs of the client it publishes with: a
 * `@redis/client` client (`createClient`) or cluster (`createCluster`) fits.
 */
export interface RedisPublisher {
  /** PUBLISH (Redis pub/sub). */
  publish(channel: string, message: Buffer): Promise<unknown>
  /** SPUBLISH (sharded pub/sub, Redis 7). */
  sPublish(channel: string, message: Buffer): Promise<unknown>
}

/**
 * RedisSubscriber is what {@link RedisTransport} needs of the client it subscribes with, in
 * buffer mode (`bufferMode` true: messages as Buffers): a `@redis/client` client or cluster
 * fits. With RESP2 it must not be the publisher's connection (a subscribed RESP2 connection
 * can do nothing else); `client.duplicate()` makes one.
 */
export interface RedisSubscriber {
  /** SUBSCRIBE. */
  subscribe(channel: string, listener: (message: Buffer) => unknown, bufferMode: true): Promise<unknown>
  /** UNSUBSCRIBE. */
  unsubscribe(channel: string): Promise<unknown>
  /** SSUBSCRIBE (sharded pub/sub, Redis 7). */
  sSubscribe(channel: string, listener: (message: Buffer) => unknown, bufferMode: true): Promise<unknown>
  /** SUNSUBSCRIBE. */
  sUnsubscribe(channel: string): Promise<unknown>
}

/** RedisTransportOptions configures a {@link RedisTransport} made by {@link RedisTransport.connect}. */
export interface RedisTransportOptions {
  /** url of the Redis server, `redis://host:port` or `rediss://` for TLS. Default `redis://127.0.0.1:6379`. */
  url?: string | undefined
  /**
   * sharded uses Redis 7's sharded pub/sub (SPUBLISH, SSUBSCRIBE), which Redis Cluster routes
   * to the shard that owns the channel instead of sending every message to every node of the
   * cluster. A standalone Redis 7 serves it too. Default false (PUBLISH, SUBSCRIBE).
   */
  sharded?: boolean | undefined
  /**
   * onError is told of each connection error (the connection lost, refused while reconnecting):
   * the clients reconnect by themselves, and their subscriptions are made again.
   */
  onError?: ((error: Error) => void) | undefined
  /**
   * clientOptions go to `createClient` as they are (password, TLS, socket options); `url` and
   * `disableOfflineQueue` are set by the transport, and `socket.reconnectStrategy` applies
   * once the first connection is made.
   */
  clientOptions?: RedisClientOptions | undefined
}

/** A `@redis/client` client, as much of it as the transport uses to manage its own connections. */
interface OwnedClient extends RedisPublisher, RedisSubscriber {
  readonly isReady: boolean
  on(event: 'error', listener: (error: Error) => void): unknown
  on(event: 'ready', listener: () => void): unknown
  connect(): Promise<unknown>
  close(): Promise<unknown>
  destroy(): unknown
}

/**
 * RedisTransport carries a `Fanout`'s messages over Redis pub/sub: at most once (a node
 * whose connection is down misses what is published meanwhile; the Fanout counts it), in
 * order per publishing connection. It publishes on one connection and subscribes on another,
 * in buffer mode (no UTF-8 decoding of the envelopes). {@link RedisTransport.connect} makes
 * both: the publishing one with `disableOfflineQueue`, so that a publish while Redis is away
 * fails at once instead of waiting in memory; the subscribing one queues its subscriptions
 * until Redis is back and, as every `@redis/client` client does, subscribes again after each
 * reconnect.
 */
export class RedisTransport implements FanoutTransport {
  /** reconnects counts the times a connection made by {@link connect} became ready again after being lost. */
  reconnects = 0
  private readonly owned: OwnedClient[]

  /**
   * new RedisTransport(publisher, subscriber, sharded) uses clients the caller made and
   * connected (e.g. a Redis Cluster from `createCluster`) and still owns: {@link close} does
   * not close them.
   */
  constructor(private readonly publisher: RedisPublisher, private readonly subscriber: RedisSubscriber, private readonly sharded = false) {
    this.owned = []
  }

  /**
   * connect makes the transport's two connections to the Redis at `options.url` and resolves
   * once both are ready; rejects at the first failure (Redis not there, refused, a bad
   * password), with nothing left open. Once connected, a lost connection is made again with
   * `clientOptions.socket.reconnectStrategy`, by default after 50 ms, doubling up to 2 s.
   */
  static async connect(options: RedisTransportOptions = {}): Promise<RedisTransport> {
    const { url = 'redis://127.0.0.1:6379', sharded = false, onError = () => {}, clientOptions = {} } = options
    // The first connection is tried once (connect rejects if Redis is not there); once made,
    // the caller's strategy, or the client's own backoff, reconnects.
    let connected = false
    const chosen = clientOptions.socket?.reconnectStrategy
    const reconnectStrategy = (retries: number, cause: Error): false | Error | number => {
      if (!connected) return cause
      if (typeof chosen === 'function') return chosen(retries, cause)
      return chosen ?? Math.min(2 ** retries * 50, 2000)
    }
    const socket = { ...clientOptions.socket, reconnectStrategy }
    const publisher = createClient({ ...clientOptions, socket, url, disableOfflineQueue: true } as RedisClientOptions) as unknown as OwnedClient
    const subscriber = createClient({ ...clientOptions, socket, url, disableOfflineQueue: false } as RedisClientOptions) as unknown as OwnedClient
    const transport = new RedisTransport(publisher, subscriber, sharded)
    for (const client of [publisher, subscriber]) {
      client.on('error', onError) // without a listener, an 'error' event would end the process
      let first = true
      client.on('ready', () => {
        if (!first) transport.reconnects++
        first = false
      })
    }
    transport.owned.push(publisher, subscriber)
    try {
      await Promise.all([publisher.connect(), subscriber.connect()])
      connected = true
    } catch (error) {
      for (const client of transport.owned) client.destroy()
      throw error
    }
    return transport
  }

  /**
   * ready: both connections {@link connect} made are up (false while either is reconnecting).
   * True for clients given to the constructor, which their owner watches.
   */
  get ready(): boolean {
    return this.owned.every((client) => client.isReady)
  }

  /** publish is PUBLISH (SPUBLISH when sharded); `message` is sent as it is. */
  async publish(channel: string, message: Uint8Array): Promise<void> {
    const bytes = Buffer.from(message.buffer, message.byteOffset, message.byteLength)
    await (this.sharded ? this.publisher.sPublish(channel, bytes) : this.publisher.publish(channel, bytes))
  }

  /** subscribe is SUBSCRIBE (SSUBSCRIBE when sharded) in buffer mode. */
  async subscribe(channel: string, listener: (message: Uint8Array) => void): Promise<void> {
    await (this.sharded ? this.subscriber.sSubscribe(channel, listener, true) : this.subscriber.subscribe(channel, listener, true))
  }

  /** unsubscribe is UNSUBSCRIBE (SUNSUBSCRIBE when sharded). */
  async unsubscribe(channel: string): Promise<void> {
    await (this.sharded ? this.subscriber.sUnsubscribe(channel) : this.subscriber.unsubscribe(channel))
  }

  /**
   * close closes the connections {@link connect} made: after their pending replies when they
   * are up, at once (what waits for Redis fails) when Redis is away. Clients given to the
   * constructor stay open.
   */
  async close(): Promise<void> {
    await Promise.all(this.owned.map((client) => (client.isReady ? client.close().catch(() => client.destroy()) : client.destroy())))
  }
}
