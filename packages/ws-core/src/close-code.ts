/**
 * CloseCode holds the status codes of RFC 6455 §7.4.1 and the IANA "WebSocket Close Code
 * Number Registry" (§11.7). 1004, 1005, 1006 and 1015 are never sent in a close frame.
 */
export const CloseCode = {
  /** The purpose of the connection has been fulfilled (RFC 6455 §7.4.1). */
  NormalClosure: 1000,
  /** The endpoint is going away: a server shutting down, a browser leaving the page (§7.4.1). */
  GoingAway: 1001,
  /** The peer broke the protocol (§7.4.1). */
  ProtocolError: 1002,
  /** The endpoint cannot accept this type of data, such as binary when it takes only text (§7.4.1). */
  UnsupportedData: 1003,
  /** Reserved; meaning may be defined in the future. Never sent. */
  Reserved: 1004,
  /** Set by an endpoint that received a close frame with no status code. Never sent. */
  NoStatusReceived: 1005,
  /** Set by an endpoint whose connection closed without a close frame. Never sent. */
  AbnormalClosure: 1006,
  /** A message's data is inconsistent with its type, such as text that is not UTF-8 (§7.4.1). */
  InvalidPayloadData: 1007,
  /** A message violates the endpoint's policy; the generic code when no other fits (§7.4.1). */
  PolicyViolation: 1008,
  /** A message is too big to process (§7.4.1). */
  MessageTooBig: 1009,
  /** Sent by a client: the server did not negotiate an extension the client requires (§7.4.1). */
  MandatoryExtension: 1010,
  /** Sent by a server: an unexpected condition kept it from fulfilling the request (§7.4.1). */
  InternalError: 1011,
  /** IANA registry. */
  ServiceRestart: 1012,
  /** IANA registry. */
  TryAgainLater: 1013,
  /** IANA registry. */
  BadGateway: 1014,
  /** Set by an endpoint whose TLS handshake failed. Never sent. */
  TlsHandshake: 1015,
} as const

/** isProtocolCloseCode reports whether `code` is in 1000-2999, reserved for RFC 6455 and its extensions (§7.4.2). */
export function isProtocolCloseCode(code: number): boolean {
  return code >= 1000 && code <= 2999
}

/** isApplicationCloseCode reports whether `code` is in 3000-3999, registered with IANA for libraries and applications (§7.4.2). */
export function isApplicationCloseCode(code: number): boolean {
  return code >= 3000 && code <= 3999
}

/** isPrivateCloseCode reports whether `code` is in 4000-4999, for private use (§7.4.2). */
export function isPrivateCloseCode(code: number): boolean {
  return code >= 4000 && code <= 4999
}

/**
 * isReservedCloseCode reports whether `code` is in the protocol range but must not appear in a
 * close frame: 1004, 1005, 1006, 1015 (§7.4.1) and the codes 1016-2999 that no one has defined yet.
 */
export function isReservedCloseCode(code: number): boolean {
  return isProtocolCloseCode(code) && !isSendableProtocolCode(code)
}

/**
 * isValidCloseCode reports whether `code` may appear in a close frame, sent or received:
 * a defined protocol code (1000-1003, 1007-1014) or an application or private code (3000-4999).
 * Everything else fails the connection (§7.4, §5.5.1).
 */
export function isValidCloseCode(code: number): boolean {
  return isSendableProtocolCode(code) || (code >= 3000 && code <= 4999)
}

function isSendableProtocolCode(code: number): boolean {
  return (code >= 1000 && code <= 1003) || (code >= 1007 && code <= 1014)
}
