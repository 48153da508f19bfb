import { ErrorCode, ProtocolError } from './errors.js'
import type { Header } from './header.js'
import { isReserved, OpCode } from './opcode.js'

/** Side says which end of the connection this endpoint is (RFC 6455 §5.1). */
export type Side = 'server' | 'client'

/**
 * ProtocolState is what {@link checkHeader} needs to judge a received header besides the
 * header itself. It is plain data the caller owns and updates with {@link advanceState}.
 */
export interface ProtocolState {
  /** This endpoint: a server receives only masked frames, a client only unmasked ones (§5.1). */
  side: Side
  /**
   * RSV bits (see {@link Header.rsv}) that negotiated extensions define for the first frame of
   * a data message, e.g. RSV1 for permessage-deflate (RFC 7692 §6). Continuation and control
   * frames must have every RSV bit clear: that is what RFC 7692 §6.1 requires, and no other
   * registered extension uses RSV bits.
   */
  allowedRsv: number
  /** True between the first and the final frame of a fragmented data message (§5.4). */
  fragmented: boolean
}

/**
 * newProtocolState returns the state of a fresh connection (RFC 6455 §5) for `side`, with
 * `allowedRsv` the RSV bits that the negotiated extensions define (0 when there are none).
 */
export function newProtocolState(side: Side, allowedRsv = 0): ProtocolState {
  return { side, allowedRsv, fragmented: false }
}

/**
 * checkHeader throws a {@link ProtocolError} (1002) when a received `header` breaks a rule of
 * RFC 6455 that the header alone decides, in this order: reserved opcodes (§5.2), RSV bits not
 * defined by an extension (§5.2), masking by side (§5.1), control frames longer than 125 bytes
 * or fragmented (§5.5), a continuation with no message in progress or a new data message
 * inside a fragmented one (§5.4). It reads `header` and `state` and changes neither.
 */
export function checkHeader(header: Header, state: ProtocolState): void {
  const opCode = header.opCode
  if (isReserved(opCode)) {
    throw new ProtocolError(ErrorCode.ReservedOpCode, `reserved opcode 0x${opCode.toString(16)}`)
  }
  if (header.rsv !== 0) {
    const startsMessage = opCode === OpCode.Text || opCode === OpCode.Binary
    if (!startsMessage || (header.rsv & ~state.allowedRsv) !== 0) {
      throw new ProtocolError(ErrorCode.ReservedBits, `RSV bits 0b${header.rsv.toString(2).padStart(3, '0')} not allowed here`)
    }
  }
  if (header.masked !== (state.side === 'server')) {
    throw header.masked
      ? new ProtocolError(ErrorCode.MaskedFrame, 'server sent a masked frame')
      : new ProtocolError(ErrorCode.UnmaskedFrame, 'client sent an unmasked frame')
  }
  if (opCode >= OpCode.Close) {
    if (header.length > 125) {
      throw new ProtocolError(ErrorCode.ControlTooLong, `control frame of ${header.length} bytes`)
    }
    if (!header.fin) throw new ProtocolError(ErrorCode.ControlFragmented, 'fragmented control frame')
  } else if (opCode === OpCode.Continuation) {
    if (!state.fragmented) {
      throw new ProtocolError(ErrorCode.UnexpectedContinuation, 'continuation frame without a message in progress')
    }
  } else if (state.fragmented) {
    throw new ProtocolError(ErrorCode.ExpectedContinuation, 'new data message inside a fragmented message')
  }
}

/**
 * advanceState records a header that passed {@link checkHeader}: a data frame without FIN
 * starts or continues a fragmented message, a data frame with FIN ends it. Control frames,
 * which may arrive between fragments (§5.4), leave the state as it is.
 */
export function advanceState(state: ProtocolState, header: Header): void {
  if (header.opCode < OpCode.Close) state.fragmented = !header.fin
}
