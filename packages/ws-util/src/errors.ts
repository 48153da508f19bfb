/**
 * HandshakeTimeoutError: the opening handshake (RFC 6455 §4) did not complete in time. The
 * socket has been destroyed. `code` is stable.
 */
export class HandshakeTimeoutError extends Error {
  /** code is the stable reason: switch on it, not on the message. */
  readonly code = 'WS_HANDSHAKE_TIMEOUT'

  /** new HandshakeTimeoutError(timeoutMs) names the timeout in its message. */
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
  /** code is the stable reason: switch on it, not on the message. */
  readonly code = 'WS_SOCKET_CLOSED'
  /** received is how many bytes of the head had arrived when the socket closed. */
  readonly received: number

  /** new SocketClosedError(received) records how many bytes of the head had arrived. */
  constructor(received: number) {
    super(`connection closed during the opening handshake after ${received} bytes`)
    this.name = 'SocketClosedError'
    this.received = received
  }
}

/**
 * CloseError: the peer closed the connection with a close frame (RFC 6455 §5.5.1, §7.1.5).
 * `closeCode` is its status code (1005 when it sent none), `reason` its reason text.
 * `code` is stable.
 */
export class CloseError extends Error {
  /** code is the stable reason: switch on it, not on the message. */
  readonly code = 'WS_CLOSED'
  /** closeCode is the status code of the peer's close frame, 1005 when it sent none (RFC 6455 §7.1.5). */
  readonly closeCode: number
  /** reason is the close frame's reason, decoded from UTF-8 (RFC 6455 §7.1.6); empty when none. */
  readonly reason: string

  /** new CloseError(closeCode, reason) is what a reader ends with when the peer closes. */
  constructor(closeCode: number, reason: string) {
    super(`connection closed by the peer with ${closeCode}${reason ? `: ${reason}` : ''}`)
    this.name = 'CloseError'
    this.closeCode = closeCode
    this.reason = reason
  }
}

/**
 * AbnormalClosureError: the connection ended without a close frame (RFC 6455 §7.1.5: the
 * close code is then 1006), or the socket failed (`cause`). `code` is stable.
 */
export class AbnormalClosureError extends Error {
  /** code is the stable reason: switch on it, not on the message. */
  readonly code = 'WS_ABNORMAL_CLOSURE'
  /** closeCode is 1006, the code of a connection closed without a close frame (RFC 6455 §7.1.5, §7.4.1). */
  readonly closeCode = 1006

  /** new AbnormalClosureError(cause) keeps the socket's error, if any, as `cause`. */
  constructor(cause?: Error) {
    super(cause ? `connection failed: ${cause.message}` : 'connection closed without a close frame', { cause })
    this.name = 'AbnormalClosureError'
  }
}

/** ProxyErrorCode names why an HTTP proxy did not open a tunnel (RFC 9110 §9.3.6). */
export type ProxyErrorCode = 'WS_PROXY_AUTH_REQUIRED' | 'WS_PROXY_REFUSED' | 'WS_PROXY_MALFORMED'

/**
 * ProxyError: the HTTP proxy did not open the tunnel a CONNECT asked for (RFC 9110 §9.3.6).
 * `code` is stable: `WS_PROXY_AUTH_REQUIRED` for 407 Proxy Authentication Required (RFC 9110
 * §15.5.8: credentials missing or wrong) and for 401, which some proxies answer a CONNECT with
 * (tinyproxy 1.11 for wrong credentials; the answer to a CONNECT is always the proxy's own),
 * `WS_PROXY_REFUSED` for any other status that is not
 * 2xx, `WS_PROXY_MALFORMED` for an answer that is not an HTTP/1.x response head within the
 * limits, or bytes the proxy sent behind its 2xx before the tunnel was used. The socket has
 * been destroyed.
 */
export class ProxyError extends Error {
  /** code is the stable reason: switch on it, not on the message. */
  readonly code: ProxyErrorCode
  /** status is the proxy's status code (RFC 9110 §15), 0 when its answer had no readable status line. */
  readonly status: number
  /** headers are the proxy's response header fields (RFC 9110 §6.3), names lower-cased, latin1 copies; empty when unread. */
  readonly headers: [string, string][]

  /** new ProxyError(code, message, status, headers) keeps the proxy's answer. */
  constructor(code: ProxyErrorCode, message: string, status = 0, headers: [string, string][] = []) {
    super(message)
    this.name = 'ProxyError'
    this.code = code
    this.status = status
    this.headers = headers
  }
}

/**
 * ExtendedConnectError: the server does not take WebSockets over HTTP/2 (RFC 8441): it did not
 * choose h2 in the TLS handshake (ALPN, RFC 9113 §3.2), did not speak HTTP/2 at all (h2c), or
 * did not send SETTINGS_ENABLE_CONNECT_PROTOCOL = 1 in its first SETTINGS (RFC 8441 §3). Only
 * when HTTP/2 was required: otherwise the dial falls back to the HTTP/1.1 upgrade. `code` is
 * stable.
 */
export class ExtendedConnectError extends Error {
  /** code is the stable reason: switch on it, not on the message. */
  readonly code = 'WS_HTTP2_NO_EXTENDED_CONNECT'

  /** new ExtendedConnectError(message) says which of the three it was. */
  constructor(message: string, options?: ErrorOptions) {
    super(message, options)
    this.name = 'ExtendedConnectError'
  }
}
