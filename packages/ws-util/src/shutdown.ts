import { CloseCode } from '@ws-toolkit/ws-core'
import { defaultCloseTimeoutMs } from './closing.js'
import type { Closable } from './closing.js'
import type { CloseReport, ConnectionSet } from './connection-set.js'

/**
 * Listener is what {@link shutdown} stops: a `net.Server`, `tls.Server`, `http.Server` or
 * `https.Server` (anything with `close()`).
 */
export interface Listener {
  /** close stops accepting new connections (`net.Server.close`); open ones are left to the caller. */
  close(): unknown
  /** closeIdleConnections, on `node:http` servers, closes keep-alive HTTP connections that carry no request. */
  closeIdleConnections?: (() => void) | undefined
}

/** ShutdownOptions says how {@link shutdown} closes the connections (RFC 6455 §7.4.1). */
export interface ShutdownOptions {
  /** code is the close frame's status code (§7.4.1): 1001, going away, by default. */
  code?: number | undefined
  /** reason is the close frame's reason (§5.5.1), at most 123 bytes of UTF-8; empty by default. */
  reason?: string | undefined
  /** timeoutMs bounds the wait for the peers' closes (§7.1.2) before the rest are destroyed: 5 s by default. */
  timeoutMs?: number | undefined
}

/**
 * shutdown stops a server the way RFC 6455 §7.4.1 asks of an endpoint that goes away: it stops
 * accepting (`server.close()`; on a `node:http` server also `closeIdleConnections()`, so idle
 * keep-alive HTTP connections do not hold the server open), sends every connection in
 * `connections` a close frame with `code` (1001 by default), waits at most `timeoutMs` for the
 * peers' close frames and TCP closes (§7.1.2, §7.1.1), destroys the rest, and resolves with
 * how many ended which way ({@link ConnectionSet.closeAll}). Handshakes still in progress are
 * not in the set: their own deadline ends them, or they are closed as they are added. It does
 * not exit the process; an HTTP request in progress is left to finish.
 */
export function shutdown<C extends Closable>(server: Listener, connections: ConnectionSet<C>, options: ShutdownOptions = {}): Promise<CloseReport<C>> {
  server.close()
  server.closeIdleConnections?.()
  return connections.closeAll(options.code ?? CloseCode.GoingAway, options.reason ?? '', options.timeoutMs ?? defaultCloseTimeoutMs)
}
