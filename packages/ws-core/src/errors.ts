/**
 * The error hierarchy of the toolkit. Every error carries a stable string `code` (safe to
 * switch on; messages may change) and the close status code (RFC 6455 §7.4.1) that an
 * endpoint sends when it fails the connection for that reason (§7.1.7).
 */

/** ErrorCode lists the stable `code` values of every error ws-core throws. */
export const ErrorCode = {
  /** §5.2: the most significant bit of a 64-bit payload length must be 0. */
  LengthHighBit: 'WS_LENGTH_HIGH_BIT',
  /** §5.2: "the minimal number of bytes MUST be used to encode the length". */
  LengthNotMinimal: 'WS_LENGTH_NOT_MINIMAL',
  /** A 64-bit length above 2^53 - 1 cannot be represented, let alone buffered. */
  LengthTooLarge: 'WS_LENGTH_TOO_LARGE',
  /** §5.2: opcodes 0x3-0x7 and 0xB-0xF are reserved. */
  ReservedOpCode: 'WS_RESERVED_OPCODE',
  /** §5.2: RSV bits must be 0 unless a negotiated extension defines them. */
  ReservedBits: 'WS_RESERVED_BITS',
  /** §5.1: a client must mask every frame it sends. */
  UnmaskedFrame: 'WS_UNMASKED_FRAME',
  /** §5.1: a server must not mask any frame it sends. */
  MaskedFrame: 'WS_MASKED_FRAME',
  /** §5.5: control frames carry at most 125 bytes of payload. */
  ControlTooLong: 'WS_CONTROL_TOO_LONG',
  /** §5.5: control frames must not be fragmented. */
  ControlFragmented: 'WS_CONTROL_FRAGMENTED',
  /** §5.4: a continuation frame needs a fragmented message in progress. */
  UnexpectedContinuation: 'WS_UNEXPECTED_CONTINUATION',
  /** §5.4: a new data message cannot start inside a fragmented one. */
  ExpectedContinuation: 'WS_EXPECTED_CONTINUATION',
  /** §5.5.1: a close body is empty or at least 2 bytes (the status code). */
  CloseBodyTooShort: 'WS_CLOSE_BODY_TOO_SHORT',
  /** §7.4: the status code may not appear in a close frame. */
  InvalidCloseCode: 'WS_INVALID_CLOSE_CODE',
  /** §5.5.1, §8.1: the close reason must be UTF-8. */
  InvalidCloseReason: 'WS_INVALID_CLOSE_REASON',
  /** §8.1: text messages must be valid UTF-8. */
  InvalidUtf8: 'WS_INVALID_UTF8',
  /** §10.4: a frame longer than this endpoint's limit. */
  FrameTooLarge: 'WS_FRAME_TOO_LARGE',
  /** §10.4: a message longer than this endpoint's limit, counted across its fragments. */
  MessageTooLarge: 'WS_MESSAGE_TOO_LARGE',
  /** §10.4: a message in more fragments than this endpoint's limit. */
  TooManyFragments: 'WS_TOO_MANY_FRAGMENTS',
  /** RFC 7692 §6.2: a compressed message that does not decompress (thrown by extensions such as ws-flate). */
  InvalidCompressedData: 'WS_INVALID_COMPRESSED_DATA',
  /** §4.2.1, §4.4: the opening handshake was refused; see the error's HTTP status. */
  HandshakeRejected: 'WS_HANDSHAKE_REJECTED',
  /** §4.1: the server's handshake response is not a valid acceptance. */
  HandshakeFailed: 'WS_HANDSHAKE_FAILED',
} as const

/** ErrorCodeValue is the union of the `code` strings in {@link ErrorCode}. */
export type ErrorCodeValue = (typeof ErrorCode)[keyof typeof ErrorCode]

/**
 * WebSocketError is the base of every error ws-core throws: `code` is stable, `closeCode`
 * is the status code to send in the close frame that fails the connection (RFC 6455 §7.1.7).
 */
export class WebSocketError extends Error {
  /** code is the stable reason, one of {@link ErrorCode}: switch on it, not on the message. */
  readonly code: ErrorCodeValue
  /** closeCode is the status code to send in the close frame that fails the connection (RFC 6455 §7.4.1). */
  readonly closeCode: number

  /** new WebSocketError(code, closeCode, message) sets `name` to the class constructed. */
  constructor(code: ErrorCodeValue, closeCode: number, message: string) {
    super(message)
    this.name = new.target.name
    this.code = code
    this.closeCode = closeCode
  }
}

/** ProtocolError is a violation of RFC 6455 framing rules: close code 1002 (§7.4.1). */
export class ProtocolError extends WebSocketError {
  /** new ProtocolError(code, message) carries close code 1002 (RFC 6455 §7.4.1). */
  constructor(code: ErrorCodeValue, message: string) {
    super(code, 1002, message)
  }
}

/**
 * InvalidPayloadError is data inconsistent with its message type, such as text or a close
 * reason that is not UTF-8: close code 1007 (RFC 6455 §7.4.1, §8.1).
 */
export class InvalidPayloadError extends WebSocketError {
  /** new InvalidPayloadError(code, message) carries close code 1007 (RFC 6455 §7.4.1). */
  constructor(code: ErrorCodeValue, message: string) {
    super(code, 1007, message)
  }
}

/**
 * LimitError is a frame or message larger than the endpoint will process: close code 1009
 * (RFC 6455 §7.4.1) unless the limit says otherwise (1008, policy violation).
 */
export class LimitError extends WebSocketError {
  /** new LimitError(code, message, closeCode) carries close code 1009, or 1008 when a policy sets the limit (RFC 6455 §7.4.1). */
  constructor(code: ErrorCodeValue, message: string, closeCode: 1008 | 1009 = 1009) {
    super(code, closeCode, message)
  }
}

/** HeaderList is extra HTTP header fields as name/value pairs, written in order. */
export type HeaderList = readonly (readonly [name: string, value: string])[]

/**
 * HandshakeRejection refuses an opening handshake with an HTTP status (RFC 6455 §4.2.1: "an
 * appropriate error code (such as 400 Bad Request)"), a reason sent as the response body, and
 * extra header fields. Upgrader callbacks throw it to refuse a request; the upgrader turns it
 * into a complete response. `closeCode` is 1002: no WebSocket connection exists yet. `status`
 * must be a client or server error, 400 to 599 (a RangeError otherwise): anything else would
 * read as a different answer.
 */
export class HandshakeRejection extends WebSocketError {
  /** status is the HTTP status of the refusal, 400 to 599 (RFC 6455 §4.2.1). */
  readonly status: number
  /** headers are extra header fields written into the refusal, in order. */
  readonly headers: HeaderList

  /** new HandshakeRejection(status, reason, headers) throws a RangeError unless `status` is 400-599; `headers` is kept, not copied. */
  constructor(status: number, reason: string, headers: HeaderList = []) {
    if (!Number.isInteger(status) || status < 400 || status > 599) throw new RangeError(`rejection status ${status} is not 400-599`)
    super(ErrorCode.HandshakeRejected, 1002, reason)
    this.status = status
    this.headers = headers
  }
}

/**
 * HandshakeError is a server response that does not complete a client's opening handshake
 * (RFC 6455 §4.1). `status` is the response's status code, `headers` its header fields (names
 * lower-cased), kept so that a caller can follow a redirect or read a 401 challenge.
 */
export class HandshakeError extends WebSocketError {
  /** status is the status code of the server's response (RFC 6455 §4.1). */
  readonly status: number
  /** headers are the response's header fields, names lower-cased, values copied. */
  readonly headers: HeaderList

  /** new HandshakeError(message, status, headers) keeps `headers`, not copied. */
  constructor(message: string, status: number, headers: HeaderList = []) {
    super(ErrorCode.HandshakeFailed, 1002, message)
    this.status = status
    this.headers = headers
  }
}
