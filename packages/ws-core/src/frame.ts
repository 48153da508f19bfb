import { cipher } from './cipher.js'
import { encodeCloseBody } from './close-body.js'
import { type Header, headerSize, writeHeader } from './header.js'
import { newMask } from './mask.js'
import { isReserved, OpCode } from './opcode.js'

/**
 * Frame is a header with its payload (RFC 6455 §5.2). The payload is whatever buffer the
 * caller gave: constructors keep a reference to it and never copy it, except that a string is
 * encoded into a new buffer. `header.length` equals `payload.length`.
 */
export interface Frame {
  /** header is the frame's header (RFC 6455 §5.2); its `length` equals `payload.length`. */
  header: Header
  /** payload is the caller's bytes, not copied ({@link maskFrame} masks a copy). */
  payload: Uint8Array
}

const encoder = new TextEncoder()
const empty = new Uint8Array(0)

/**
 * newFrame returns an unmasked frame (RFC 6455 §5.2) around `payload` (not copied). A reserved
 * opcode, or a control frame that is not final or carries over 125 bytes (§5.5), is a
 * RangeError, so that no toolkit code builds a frame its peer must reject.
 */
export function newFrame(opCode: number, fin: boolean, payload: Uint8Array): Frame {
  if (!(opCode >= 0 && opCode <= 0xf) || isReserved(opCode)) throw new RangeError(`invalid opcode ${opCode}`)
  if (opCode >= OpCode.Close && (!fin || payload.length > 125)) {
    throw new RangeError('control frames must be final and carry at most 125 bytes')
  }
  return { header: { fin, rsv: 0, opCode, masked: false, mask: 0, length: payload.length }, payload }
}

function bytesOf(data: string | Uint8Array): Uint8Array {
  return typeof data === 'string' ? encoder.encode(data) : data
}

/** newTextFrame returns a final text frame (§5.6); a string is encoded to UTF-8, bytes are not copied or checked. */
export function newTextFrame(data: string | Uint8Array): Frame {
  return newFrame(OpCode.Text, true, bytesOf(data))
}

/** newBinaryFrame returns a final binary frame (§5.6) around `payload`, not copied. */
export function newBinaryFrame(payload: Uint8Array): Frame {
  return newFrame(OpCode.Binary, true, payload)
}

/** newPingFrame returns a ping (§5.5.2) with up to 125 bytes of application data, not copied. */
export function newPingFrame(data: string | Uint8Array = empty): Frame {
  return newFrame(OpCode.Ping, true, bytesOf(data))
}

/** newPongFrame returns a pong (§5.5.3); in answer to a ping, pass the ping's data (not copied). */
export function newPongFrame(data: string | Uint8Array = empty): Frame {
  return newFrame(OpCode.Pong, true, bytesOf(data))
}

/**
 * newCloseFrame returns a close frame (§5.5.1) whose new body holds `code` and `reason`; with
 * no code the body is empty. Throws a RangeError for a code that may not be sent or a reason
 * over 123 bytes.
 */
export function newCloseFrame(code?: number, reason?: string | Uint8Array): Frame {
  return newFrame(OpCode.Close, true, encodeCloseBody(code, reason))
}

/**
 * maskFrame returns a masked copy of an unmasked `frame` with a fresh key from
 * {@link newMask} (§5.3: clients mask every frame with a new, unpredictable key). The
 * original frame and its payload are left untouched.
 */
export function maskFrame(frame: Frame): Frame {
  return maskFrameWith(frame, newMask())
}

/**
 * maskFrameWith is {@link maskFrame} with a caller-chosen key (§5.3): a new payload buffer, the
 * original untouched. Masking a masked frame is a RangeError: the payload would carry two keys.
 */
export function maskFrameWith(frame: Frame, mask: number): Frame {
  checkUnmasked(frame)
  const payload = new Uint8Array(frame.payload) // a copy: slice() on a Buffer would be a view
  cipher(payload, mask, 0)
  return { header: { ...frame.header, masked: true, mask }, payload }
}

/**
 * maskFrameInPlace masks an unmasked `frame` with a fresh key (§5.3) by rewriting its payload
 * buffer where it lies (the caller's bytes change) and setting its header; it returns the same
 * frame. Masking a masked frame is a RangeError.
 */
export function maskFrameInPlace(frame: Frame): Frame {
  return maskFrameInPlaceWith(frame, newMask())
}

/** maskFrameInPlaceWith is {@link maskFrameInPlace} with a caller-chosen key (§5.3). */
export function maskFrameInPlaceWith(frame: Frame, mask: number): Frame {
  checkUnmasked(frame)
  cipher(frame.payload, mask, 0)
  frame.header.masked = true
  frame.header.mask = mask
  return frame
}

/** unmaskFrame returns an unmasked copy of `frame` (§5.3); a frame that is not masked is copied as is. */
export function unmaskFrame(frame: Frame): Frame {
  const payload = new Uint8Array(frame.payload) // a copy: slice() on a Buffer would be a view
  cipher(payload, frame.header.mask, 0)
  return { header: { ...frame.header, masked: false, mask: 0 }, payload }
}

function checkUnmasked(frame: Frame): void {
  if (frame.header.masked) throw new RangeError('frame is already masked')
}

/** unmaskFrameInPlace (§5.3) unmasks `frame`'s payload where it lies (the caller's bytes change) and clears the header's mask. */
export function unmaskFrameInPlace(frame: Frame): Frame {
  cipher(frame.payload, frame.header.mask, 0)
  frame.header.masked = false
  frame.header.mask = 0
  return frame
}

/**
 * compileFrame returns a new buffer holding `frame` as it goes on the wire (RFC 6455 §5.2):
 * header, then payload exactly as it is (mask it first if it must be masked). One buffer means
 * one write. A header whose length is not the payload's is a RangeError.
 */
export function compileFrame(frame: Frame): Uint8Array {
  if (frame.header.length !== frame.payload.length) {
    throw new RangeError(`header length ${frame.header.length} but payload of ${frame.payload.length} bytes`)
  }
  const size = headerSize(frame.header)
  const bytes = new Uint8Array(size + frame.payload.length)
  writeHeader(bytes, 0, frame.header)
  bytes.set(frame.payload, size)
  return bytes
}

/**
 * CompiledPing, CompiledPong, CompiledClose and CompiledCloseNormalClosure are ready-made wire
 * bytes of unmasked control frames with empty or minimal bodies, for a server to write as is
 * (a client must mask, §5.1). They are shared: never write into them.
 */
export const CompiledPing: Uint8Array = compileFrame(newPingFrame())
/** An empty pong (§5.5.3), unmasked; see {@link CompiledPing}. */
export const CompiledPong: Uint8Array = compileFrame(newPongFrame())
/** A close with no body (§5.5.1), unmasked; see {@link CompiledPing}. */
export const CompiledClose: Uint8Array = compileFrame(newCloseFrame())
/** A close with status 1000, no reason (§7.4.1), unmasked; see {@link CompiledPing}. */
export const CompiledCloseNormalClosure: Uint8Array = compileFrame(newCloseFrame(1000))
