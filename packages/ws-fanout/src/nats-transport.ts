/**
 * The NATS transport of ws-fanout: `@ws-toolkit/ws-fanout/nats`, on the official client
 * `@nats-io/transport-node` (a peer dependency: install it next to this package).
 *
 * @module @ws-toolkit/ws-fanout/nats
 */
import { connect, type ConnectionOptions, type NatsConnection, type Subscription } from '@nats-io/transport-node'
import type { FanoutTransport } from './transport.js'

/**
 * checkSubject throws a TypeError for a channel that is not a plain NATS subject: tokens
 * separated by dots, none empty, no whitespace, no wildcard (`*`, `>`).
 */
function checkSubject(channel: string): void {
  if (!/^[^\s.*>]+(\.[^\s.*>]+)*$/.test(channel)) throw new TypeError(`not a plain NATS subject (no spaces, empty tokens, * or >): ${JSON.stringify(channel)}`)
}

/** NatsTransportOptions configures a {@link NatsTransport} made by {@link NatsTransport.connect}. */
export interface NatsTransportOptions {
  /** servers: `host:port` of one or more NATS servers (a cluster). Default `127.0.0.1:4222`. */
  servers?: string | string[] | undefined
  /** onError is told of each asynchronous error the connection reports (a subscription's, a lost connection). */
  onError?: ((error: Error) => void) | undefined
  /**
   * connectionOptions go to `connect` as they are (credentials, TLS, reconnect timing);
   * `servers`, `noEcho` and an endless `maxReconnectAttempts` are set by the transport.
   */
  connectionOptions?: ConnectionOptions | undefined
}

/**
 * NatsTransport carries a `Fanout`'s messages over NATS core subjects: at most once, in
 * order per publishing connection. The channel is the subject (a topic must be a valid subject
 * token sequence: no spaces, no `*` or `>`). The connection is made with `noEcho`, so NATS
 * does not send a node its own messages back (Redis does; the Fanout drops them there), and
 * reconnects without end; the client subscribes again after each reconnect. A publish while
 * the connection is down is refused (the client would buffer it without bound), and counted
 * by the Fanout as failed.
 */
export class NatsTransport implements FanoutTransport {
  /** reconnects counts the reconnects of the connection {@link connect} made. */
  reconnects = 0
  /** up: the connection {@link connect} made is connected (false while it reconnects). */
  up = true
  private readonly subscriptions = new Map<string, Subscription>()

  /**
   * new NatsTransport(connection) uses a connection the caller made and still owns (close does
   * not close it). Make it with `noEcho: true` to spare the node its own messages.
   */
  constructor(private readonly connection: NatsConnection, private readonly owned = false) {}

  /** connect connects to NATS and resolves once connected; rejects if the first connection fails. */
  static async connect(options: NatsTransportOptions = {}): Promise<NatsTransport> {
    const { servers = '127.0.0.1:4222', onError = () => {}, connectionOptions = {} } = options
    const connection = await connect({ ...connectionOptions, servers, noEcho: true, maxReconnectAttempts: -1 })
    const transport = new NatsTransport(connection, true)
    void (async () => {
      for await (const status of connection.status()) {
        if (status.type === 'reconnect') {
          transport.reconnects++
          transport.up = true
        } else if (status.type === 'error' && status.error instanceof Error) {
          onError(status.error)
        } else if (status.type === 'disconnect') {
          transport.up = false
          onError(new Error(`the connection to NATS ${status.server} was lost`))
        }
      }
    })()
    return transport
  }

  /**
   * publish hands `message` to the client. It rejects when the connection is closed, or is
   * down and reconnecting (the connection {@link connect} made: the client would buffer
   * without bound; a caller's connection buffers as its owner configured it), and for a
   * channel that is not a plain subject.
   */
  async publish(channel: string, message: Uint8Array): Promise<void> {
    checkSubject(channel)
    if (this.connection.isClosed()) throw new Error('the NATS connection is closed')
    if (!this.up) throw new Error('the NATS connection is down, reconnecting')
    this.connection.publish(channel, message)
  }

  /**
   * subscribe subscribes to the subject `channel` (a plain subject: no wildcard, which would
   * mix other topics' messages in); resolves once the server has read the subscription (a
   * flush). A subscription the server's permissions deny still resolves: the refusal goes
   * to `onError`.
   */
  async subscribe(channel: string, listener: (message: Uint8Array) => void): Promise<void> {
    checkSubject(channel)
    const subscription = this.connection.subscribe(channel, {
      callback: (error, message) => {
        if (error === null) listener(message.data)
      },
    })
    this.subscriptions.set(channel, subscription)
    await this.connection.flush()
  }

  /** unsubscribe ends the subscription of `channel`. */
  async unsubscribe(channel: string): Promise<void> {
    this.subscriptions.get(channel)?.unsubscribe()
    this.subscriptions.delete(channel)
  }

  /**
   * close drains and closes the connection {@link connect} made, or closes it at once when it
   * is down; a caller's connection stays open.
   */
  async close(): Promise<void> {
    if (!this.owned || this.connection.isClosed()) return
    if (this.up) await Promise.allSettled([this.connection.drain()]) // lost while draining: closed below
    if (!this.connection.isClosed()) await this.connection.close()
  }
}
