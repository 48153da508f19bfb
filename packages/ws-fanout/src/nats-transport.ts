/**
 * The NATS transport of ws-fanout: `@ws-toolkit/ws-fanout/nats`, on the official client
 * `@nats-io/transport-node` (a peer dependency: install it next to this package).
 *
 * @module @ws-toolkit/ws-fanout/nats
 */
import { connect, type ConnectionOptions, type NatsConnection, type Subscription } from '@nats-io/transport-node'
import type { FanoutTransport } from './transport.js'

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
 * the connection is down is buffered by the client and sent after the reconnect, within its
 * buffer: a publish rejects only once the connection is closed for good.
 */
export class NatsTransport implements FanoutTransport {
  /** reconnects counts the reconnects of the connection {@link connect} made. */
  reconnects = 0
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
        if (status.type === 'reconnect') transport.reconnects++
        else if (status.type === 'error' && status.error instanceof Error) onError(status.error)
        else if (status.type === 'disconnect') onError(new Error(`the connection to NATS ${status.server} was lost`))
      }
    })()
    return transport
  }

  /** publish hands `message` to the client (sent now, or after a reconnect); rejects once the connection is closed. */
  async publish(channel: string, message: Uint8Array): Promise<void> {
    if (this.connection.isClosed()) throw new Error('the NATS connection is closed')
    this.connection.publish(channel, message)
  }

  /** subscribe subscribes to the subject `channel`; resolves once the server has the subscription (a flush). */
  async subscribe(channel: string, listener: (message: Uint8Array) => void): Promise<void> {
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

  /** close drains and closes the connection {@link connect} made; a caller's connection stays open. */
  async close(): Promise<void> {
    if (this.owned && !this.connection.isClosed()) await this.connection.drain()
  }
}
