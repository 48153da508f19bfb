import type { Writable } from 'node:stream'
import { type Header, headerSize, newMask, OpCode, writeHeader } from '@ws-toolkit/ws-core'
import { simdCipher } from './simd-cipher.js'

/** Payloads at least this long are written after their header without being copied (server side). */
const copyLimit = 16 * 1024

/**
 * writeServerMessage writes one whole message from a server (RFC 6455 §5.6, unmasked per
 * §5.1) as a single frame with FIN: `opCode` Text, Binary, or a control opcode. A string is
 * sent as UTF-8. Header and payload leave in one socket write: a small payload is copied
 * behind its header; a large one is written as it is after the header in one corked write,
 * so it must not change until the socket has taken it. Returns what `socket.write` returned.
 */
export function writeServerMessage(socket: Writable, opCode: number, payload: Uint8Array | string): boolean {
  return writeMessage(socket, false, opCode, payload)
}

/**
 * writeClientMessage writes one whole message from a client (§5.6) as a single frame with
 * FIN, masked with a fresh key (§5.3) in a copy: the caller's bytes are never changed. One
 * socket write. Returns what `socket.write` returned.
 */
export function writeClientMessage(socket: Writable, opCode: number, payload: Uint8Array | string): boolean {
  return writeMessage(socket, true, opCode, payload)
}

function writeMessage(socket: Writable, masked: boolean, opCode: number, data: Uint8Array | string): boolean {
  const payload = typeof data === 'string' ? Buffer.from(data, 'utf8') : data
  if (opCode >= OpCode.Close && payload.length > 125) throw new RangeError('a control frame payload is at most 125 bytes (RFC 6455 §5.5)')
  const header: Header = { fin: true, rsv: 0, opCode, masked, mask: masked ? newMask() : 0, length: payload.length }
  return writeFrameTo(socket, header, payload)
}

/**
 * writeFrameTo writes one frame with `header` (its mask already drawn when masked) and
 * `payload` in one socket write, as {@link writeServerMessage} and {@link writeClientMessage}
 * describe. Internal to ws-util.
 */
export function writeFrameTo(socket: Writable, header: Header, payload: Uint8Array): boolean {
  const size = headerSize(header)
  if (!header.masked && payload.length >= copyLimit) {
    const head = Buffer.allocUnsafe(size)
    writeHeader(head, 0, header)
    socket.cork()
    socket.write(head)
    const result = socket.write(payload)
    socket.uncork()
    return result
  }
  const frame = Buffer.allocUnsafe(size + payload.length)
  writeHeader(frame, 0, header)
  frame.set(payload, size)
  if (header.masked) simdCipher(frame.subarray(size), header.mask, 0)
  return socket.write(frame)
}
