import { CloseCode, isValidCloseCode } from './close-code.js'
import { ErrorCode, InvalidPayloadError, ProtocolError } from './errors.js'
import { isValidUtf8 } from './utf8.js'

/** MaxCloseReasonLength is the longest close reason in bytes: 125 of payload minus 2 of code (RFC 6455 §5.5). */
export const MaxCloseReasonLength = 123

/**
 * CloseBody is the parsed payload of a close frame (RFC 6455 §5.5.1). `reason` is a view into
 * the frame's payload, not a copy: it is valid as long as those bytes are.
 */
export interface CloseBody {
  /** code is the status code, the body's first 2 bytes (RFC 6455 §5.5.1, §7.4). */
  code: number
  /** reason is the UTF-8 reason after the code: a view into the frame's payload, not a copy (RFC 6455 §5.5.1). */
  reason: Uint8Array
}

const encoder = new TextEncoder()
const empty = new Uint8Array(0)

/**
 * encodeCloseBody returns a new buffer holding a close frame body: the 2-byte status code in
 * network order, then `reason` as UTF-8 (RFC 6455 §5.5.1); a string is encoded, bytes are
 * copied. With no code it returns an empty body. Throws a RangeError for a code that may not be
 * sent (§7.4), a reason over 123 bytes, or a byte reason that is not valid UTF-8 (§8.1).
 */
export function encodeCloseBody(code?: number, reason: string | Uint8Array = empty): Uint8Array {
  if (code === undefined) {
    if (reason.length > 0) throw new RangeError('a close reason needs a status code')
    return new Uint8Array(0)
  }
  if (!Number.isInteger(code) || !isValidCloseCode(code)) throw new RangeError(`close code ${code} may not be sent`)
  const reasonBytes = typeof reason === 'string' ? encoder.encode(reason) : reason
  if (reasonBytes.length > MaxCloseReasonLength) {
    throw new RangeError(`close reason of ${reasonBytes.length} bytes exceeds ${MaxCloseReasonLength}`)
  }
  if (!isValidUtf8(reasonBytes)) throw new RangeError('close reason is not valid UTF-8')
  const body = new Uint8Array(2 + reasonBytes.length)
  body[0] = code >>> 8
  body[1] = code
  body.set(reasonBytes, 2)
  return body
}

/**
 * parseCloseBody reads a received close frame's (unmasked) payload and validates it with
 * {@link checkCloseBody}. An empty body yields code 1005 (NoStatusReceived, §7.1.5) and an
 * empty reason. The reason is a view into `payload`, not copied.
 */
export function parseCloseBody(payload: Uint8Array): CloseBody {
  if (payload.length === 0) return { code: CloseCode.NoStatusReceived, reason: payload }
  if (payload.length === 1) {
    throw new ProtocolError(ErrorCode.CloseBodyTooShort, 'close frame body of 1 byte')
  }
  const code = (payload[0] << 8) | payload[1]
  const reason = payload.subarray(2)
  checkCloseBody(code, reason)
  return { code, reason }
}

/**
 * checkCloseBody throws unless `code` may appear in a close frame (RFC 6455 §7.4: a
 * {@link ProtocolError}, 1002) and `reason` is valid UTF-8 (§5.5.1, §8.1: an
 * {@link InvalidPayloadError}, 1007).
 */
export function checkCloseBody(code: number, reason: Uint8Array): void {
  if (!isValidCloseCode(code)) {
    throw new ProtocolError(ErrorCode.InvalidCloseCode, `close code ${code} is not allowed in a close frame`)
  }
  if (!isValidUtf8(reason)) {
    throw new InvalidPayloadError(ErrorCode.InvalidCloseReason, 'close reason is not valid UTF-8')
  }
}
