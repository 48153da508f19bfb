/**
 * OpCode holds the frame opcodes of RFC 6455 §5.2 (IANA "WebSocket Opcode Registry", §11.8).
 * Values 0x3-0x7 are reserved for further data frames, 0xB-0xF for further control frames.
 */
export const OpCode = {
  /** Continuation (0x0) continues a fragmented message (RFC 6455 §5.4). */
  Continuation: 0x0,
  /** Text (0x1) starts a text message, UTF-8 as a whole (RFC 6455 §5.6). */
  Text: 0x1,
  /** Binary (0x2) starts a binary message (RFC 6455 §5.6). */
  Binary: 0x2,
  /** Close (0x8) is a close frame (RFC 6455 §5.5.1). */
  Close: 0x8,
  /** Ping (0x9) is a ping, to be answered by a pong with the same payload (RFC 6455 §5.5.2). */
  Ping: 0x9,
  /** Pong (0xA) is a pong, an answer or a unilateral heartbeat (RFC 6455 §5.5.3). */
  Pong: 0xa,
} as const

/** OpCodeValue is a 4-bit opcode as read from the wire, defined or reserved. */
export type OpCodeValue = number

/** isControl reports whether `opCode` denotes a control frame: its high bit is set (§5.5). */
export function isControl(opCode: OpCodeValue): boolean {
  return (opCode & 0x8) !== 0
}

/** isData reports whether `opCode` denotes a data frame, continuation included (§5.6). */
export function isData(opCode: OpCodeValue): boolean {
  return (opCode & 0x8) === 0
}

/** isReserved reports whether `opCode` is one of the reserved opcodes 0x3-0x7, 0xB-0xF (§5.2). */
export function isReserved(opCode: OpCodeValue): boolean {
  const low = opCode & 0x7
  return low > 0x2
}
