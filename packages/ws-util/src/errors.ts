/**
 * HandshakeTimeoutError: the opening handshake (RFC 6455 §4) did not complete in time. The
 * socket has been destroyed. `code` is stable.
 */
export class HandshakeTimeoutError extends Error {
  readonly code = 'WS_HANDSHAKE_TIMEOUT'

  constructor(timeoutMs: number) {
    super(`opening handshake did not complete within ${timeoutMs} ms`)
    this.name = 'HandshakeTimeoutError'
  }
}

/**
 * SocketClosedError: the peer closed the connection before the opening handshake completed.
 * `received` is how many bytes of the head had arrived. `code` is stable.
 */
export class SocketClosedError extends Error {
  readonly code = 'WS_SOCKET_CLOSED'
  readonly received: number

  constructor(received: number) {
    super(`connection closed during the opening handshake after ${received} bytes`)
    this.name = 'SocketClosedError'
    this.received = received
  }
}
