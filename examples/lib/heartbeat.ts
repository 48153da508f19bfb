// Dropping dead peers, for every example that holds connections: a peer that vanished without
// a FIN (a pulled cable, a suspended laptop, a NAT that forgot the flow) leaves a socket that
// looks open for hours. ws-util's startHeartbeat pings each connection every `--ping-interval`
// ms (RFC 6455 §5.5.2; a peer must answer with a pong, §5.5.3) and, when a pong is overdue by
// `--ping-timeout` ms, the connection is sent a close with 1001 (going away) and destroyed if
// it has not closed within the timeout again. The connection's control handler reports each
// pong (pongReceived); the heartbeat stops when the socket closes, so no timer outlives its
// connection. 0 in either flag turns it off.
import { CloseCode } from '@ws-toolkit/ws-core'
import { type Closable, closeGracefully, type Heartbeat, startHeartbeat } from '@ws-toolkit/ws-util'
import type { FlagSpec } from './args.ts'

/** The longest interval or timeout the flags take: an hour. */
const maxMs = 3_600_000

/**
 * heartbeatFlags are `--ping-interval MS` and `--ping-timeout MS`, to spread into an example's
 * flags (lib/args.ts parses them); 0 in either turns the heartbeat off.
 */
export const heartbeatFlags = {
  'ping-interval': { kind: 'integer', min: 0, max: maxMs, default: 30_000, help: 'ms between pings to each client, 0 for none' },
  'ping-timeout': { kind: 'integer', min: 0, max: maxMs, default: 10_000, help: 'ms a client has to answer a ping before it is closed with 1001, 0 for never' },
} as const satisfies Record<string, FlagSpec>

/** HeartbeatSettings is how often to ping and how long a pong may take; null turns the heartbeat off. */
export interface HeartbeatSettings {
  /** intervalMs is the time between pings. */
  intervalMs: number
  /** timeoutMs is how long a ping may go unanswered before the connection is closed with 1001. */
  timeoutMs: number
}

/** heartbeatSettings reads the parsed `--ping-interval` and `--ping-timeout`: null when either is 0. */
export function heartbeatSettings(values: { 'ping-interval': number; 'ping-timeout': number }): HeartbeatSettings | null {
  const intervalMs = values['ping-interval']
  const timeoutMs = values['ping-timeout']
  return intervalMs === 0 || timeoutMs === 0 ? null : { intervalMs, timeoutMs }
}

/** The reason in the close frame a peer that stopped answering pings is sent (with 1001). */
export const pingTimeoutReason = 'ping timeout'

/** Each connection's heartbeat, found from the connection its control handler is given. */
const heartbeats = new WeakMap<Closable, Heartbeat>()

/**
 * pongReceived tells `connection`'s heartbeat, if it has one, that a pong arrived (any pong
 * counts, RFC 6455 §5.5.3): call it from the control handler.
 */
export function pongReceived(connection: Closable): void {
  heartbeats.get(connection)?.pong()
}

/**
 * keepAlive starts a heartbeat on `connection`: `ping` sends a ping frame every interval (not
 * once the socket has ended: a closing connection is pinged no more), and when a pong is
 * overdue the connection is closed with 1001 and {@link pingTimeoutReason}, and destroyed if
 * it has not closed within `timeoutMs` more ({@link closeGracefully}). Report each pong with
 * {@link pongReceived}. It stops when the socket closes. With `settings` null it starts
 * nothing and returns null.
 */
export function keepAlive(connection: Closable, ping: () => void, settings: HeartbeatSettings | null | undefined): Heartbeat | null {
  if (settings === null || settings === undefined) return null
  const { socket } = connection
  const { intervalMs, timeoutMs } = settings
  const heartbeat = startHeartbeat({
    intervalMs,
    timeoutMs,
    ping: () => {
      if (!socket.writableEnded) ping()
    },
    onTimeout: () => {
      // closeGracefully's own timer bounds the wait; it destroys the socket when it runs out.
      closeGracefully(connection, CloseCode.GoingAway, pingTimeoutReason, timeoutMs).catch(() => socket.destroy())
    },
  })
  socket.once('close', heartbeat.stop)
  heartbeats.set(connection, heartbeat)
  return heartbeat
}
