/**
 * The envelope: how one published message travels through the broker between nodes. Binary,
 * one buffer, read in place:
 *
 * ```text
 * byte 0        version (1)
 * byte 1        flags: bit 0 set for a binary message, clear for text (RFC 6455 §5.6)
 * byte 2        n, the origin's length in bytes (1 to 255)
 * bytes 3..3+n  origin: the publishing Fanout's id (UTF-8), unique per process run
 * 8 bytes       sequence number of this origin on this topic, big-endian, from 1
 * the rest      the message's payload, as the application gave it (never compressed)
 * ```
 *
 * @module
 */

/** envelopeVersion is the version byte this package writes and reads. */
export const envelopeVersion = 1

/** Envelope is one decoded envelope. `origin` is a new string; `payload` is a view into the buffer that was decoded (not copied). */
export interface Envelope {
  /** binary: the message is binary (opcode 0x2), else text (0x1), RFC 6455 §5.6. */
  binary: boolean
  /** origin is the id of the Fanout that published it. */
  origin: string
  /** sequence is the origin's number for this message on its topic, from 1, one more each message. */
  sequence: number
  /** payload is the message, a view into the decoded buffer: valid as long as that buffer is. */
  payload: Uint8Array
}

const encoder = new TextEncoder()
const decoder = new TextDecoder('utf-8', { fatal: true })

/** encodeOrigin checks and encodes an origin id: 1 to 255 bytes of UTF-8. */
export function encodeOrigin(origin: string): Uint8Array {
  const bytes = encoder.encode(origin)
  if (bytes.length < 1 || bytes.length > 255) throw new RangeError(`an origin id is 1 to 255 bytes of UTF-8, not ${bytes.length}`)
  return bytes
}

/**
 * encodeEnvelope returns a new buffer holding the envelope of `payload` (copied once) from
 * `origin` (see {@link encodeOrigin}) with `sequence` (a safe integer from 1).
 */
export function encodeEnvelope(origin: Uint8Array, sequence: number, binary: boolean, payload: Uint8Array): Uint8Array {
  const start = 3 + origin.length + 8
  const bytes = new Uint8Array(start + payload.length)
  bytes[0] = envelopeVersion
  bytes[1] = binary ? 1 : 0
  bytes[2] = origin.length
  bytes.set(origin, 3)
  const view = new DataView(bytes.buffer, bytes.byteOffset + 3 + origin.length, 8)
  view.setUint32(0, Math.floor(sequence / 0x1_0000_0000))
  view.setUint32(4, sequence >>> 0)
  bytes.set(payload, start)
  return bytes
}

/**
 * decodeEnvelope reads an envelope in place: null when `bytes` is not one this version writes
 * (too short, another version, unknown flags, an origin that is not UTF-8, a sequence of 0 or
 * beyond 2^53 - 1). The payload is a view into `bytes`.
 */
export function decodeEnvelope(bytes: Uint8Array): Envelope | null {
  if (bytes.length < 3 || bytes[0] !== envelopeVersion || (bytes[1]! & ~1) !== 0) return null
  const originEnd = 3 + bytes[2]!
  const start = originEnd + 8
  if (bytes[2] === 0 || bytes.length < start) return null
  let origin: string
  try {
    origin = decoder.decode(bytes.subarray(3, originEnd))
  } catch {
    return null
  }
  const view = new DataView(bytes.buffer, bytes.byteOffset + originEnd, 8)
  const high = view.getUint32(0)
  const sequence = high * 0x1_0000_0000 + view.getUint32(4)
  if (high > 0x1f_ffff || sequence === 0) return null
  return { binary: bytes[1] === 1, origin, sequence, payload: bytes.subarray(start) }
}
