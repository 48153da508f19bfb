import { LimitError, ProtocolError, ErrorCode } from './errors.js'

/** Rsv1 is the RSV1 bit of {@link Header.rsv} (RFC 6455 §5.2); permessage-deflate uses it (RFC 7692 §6). */
export const Rsv1 = 0b100
/** Rsv2 is the RSV2 bit of {@link Header.rsv} (RFC 6455 §5.2). */
export const Rsv2 = 0b010
/** Rsv3 is the RSV3 bit of {@link Header.rsv} (RFC 6455 §5.2). */
export const Rsv3 = 0b001

/** MaxHeaderSize is the largest frame header: 2 bytes, 8 of extended length, 4 of mask (RFC 6455 §5.2). */
export const MaxHeaderSize = 14

/** MaxPayloadLength is the largest payload length this toolkit represents (RFC 6455 §5.2 allows 2^63 - 1): 2^53 - 1, exact in a number. */
export const MaxPayloadLength = Number.MAX_SAFE_INTEGER

/**
 * Header is a frame header (RFC 6455 §5.2) as plain, reusable data.
 *
 * `rsv` holds the three reserved bits as a number: RSV1 is 0b100 ({@link Rsv1}), RSV3 is 0b001.
 * `mask` is the 32-bit masking key in wire order (the first key byte in the high 8 bits), or 0
 * when `masked` is false. `length` is the payload length, at most 2^53 - 1.
 */
export interface Header {
  /** fin is the FIN bit: this frame is the last of its message (RFC 6455 §5.2). */
  fin: boolean
  /** rsv is RSV1-RSV3 as a number, RSV1 the high bit ({@link Rsv1}); 0 unless an extension defines them (RFC 6455 §5.2). */
  rsv: number
  /** opCode is the 4-bit opcode, defined ({@link OpCode}) or reserved (RFC 6455 §5.2). */
  opCode: number
  /** masked is the MASK bit: the payload is masked with {@link Header.mask} (RFC 6455 §5.2, §5.3). */
  masked: boolean
  /** mask is the 32-bit masking key in wire order (first key byte in the high 8 bits), or 0 when not masked (RFC 6455 §5.3). */
  mask: number
  /** length is the payload length in bytes, 0 to 2^53 - 1 (RFC 6455 §5.2). */
  length: number
}

/** newHeader returns a zeroed header (RFC 6455 §5.2), a target for {@link readHeader} that can be reused for every frame. */
export function newHeader(): Header {
  return { fin: false, rsv: 0, opCode: 0, masked: false, mask: 0, length: 0 }
}

/**
 * readHeader parses the frame header that starts at `bytes[offset]` into `out` and returns its
 * size in bytes (2 to 14), or 0 when `bytes` ends before the header does; then nothing is
 * written to `out` and the caller retries with more bytes. It never reads past `bytes.length`
 * and never copies: `bytes` stays the caller's. A negative or fractional `offset` is a
 * RangeError.
 *
 * Lengths are judged once the whole header is in (RFC 6455 §5.2), before any payload is
 * buffered: a 64-bit length with its most significant bit set, or one that is not encoded in
 * the minimal number of bytes ("the minimal number of bytes MUST be used"), throws a
 * {@link ProtocolError} (1002); a length above 2^53 - 1 throws a {@link LimitError} (1009).
 * Accepting non-minimal lengths would let one length have several encodings, which
 * intermediaries may judge differently, so they are refused.
 */
export function readHeader(bytes: Uint8Array, offset: number, out: Header): number {
  if (!(offset >= 0) || offset % 1 !== 0) throw new RangeError(`invalid offset ${offset}`)
  const available = bytes.length - offset
  if (available < 2) return 0
  const b0 = bytes[offset]
  const b1 = bytes[offset + 1]
  const masked = b1 >= 0x80
  let length = b1 & 0x7f
  const extended = length === 126 ? 2 : length === 127 ? 8 : 0
  const size = 2 + extended + (masked ? 4 : 0)
  if (available < size) return 0
  let p = offset + 2
  if (extended === 2) {
    length = (bytes[p] << 8) | bytes[p + 1]
    if (length < 126) {
      throw new ProtocolError(ErrorCode.LengthNotMinimal, `length ${length} encoded in 16 bits`)
    }
    p += 2
  } else if (extended === 8) {
    const high = bytes[p] * 0x1000000 + ((bytes[p + 1] << 16) | (bytes[p + 2] << 8) | bytes[p + 3])
    if (high >= 0x80000000) {
      throw new ProtocolError(ErrorCode.LengthHighBit, 'most significant bit of 64-bit length is set')
    }
    if (high > 0x1fffff) {
      throw new LimitError(ErrorCode.LengthTooLarge, 'payload length exceeds 2^53 - 1')
    }
    length = high * 0x100000000 + bytes[p + 4] * 0x1000000 + ((bytes[p + 5] << 16) | (bytes[p + 6] << 8) | bytes[p + 7])
    if (length < 0x10000) {
      throw new ProtocolError(ErrorCode.LengthNotMinimal, `length ${length} encoded in 64 bits`)
    }
    p += 8
  }
  out.fin = b0 >= 0x80
  out.rsv = (b0 >> 4) & 0x7
  out.opCode = b0 & 0xf
  out.masked = masked
  out.mask = masked ? bytes[p] * 0x1000000 + ((bytes[p + 1] << 16) | (bytes[p + 2] << 8) | bytes[p + 3]) : 0
  out.length = length
  return size
}

/** headerSize returns how many bytes {@link writeHeader} writes for `header` (RFC 6455 §5.2). */
export function headerSize(header: Header): number {
  const length = header.length
  return (length < 126 ? 2 : length < 0x10000 ? 4 : 10) + (header.masked ? 4 : 0)
}

/**
 * writeHeader writes `header` into the caller's `bytes` at `offset` with the minimal length
 * encoding (RFC 6455 §5.2) and returns the number of bytes written ({@link headerSize}); it
 * keeps no reference to `bytes`. It writes only the header: the payload (masked or not) is the
 * caller's to place behind it. Throws a RangeError when the header does not fit, or a field
 * cannot be written as is: length not an integer in 0..2^53 - 1, opcode not in 0..15, rsv not
 * in 0..7, a fractional offset.
 */
export function writeHeader(bytes: Uint8Array, offset: number, header: Header): number {
  const length = header.length
  if (!(length >= 0 && length <= MaxPayloadLength) || length !== Math.floor(length)) {
    throw new RangeError(`invalid payload length ${length}`)
  }
  if (!(header.opCode >= 0 && header.opCode <= 0xf && header.opCode % 1 === 0)) throw new RangeError(`invalid opcode ${header.opCode}`)
  if (!(header.rsv >= 0 && header.rsv <= 0x7 && header.rsv % 1 === 0)) throw new RangeError(`invalid rsv ${header.rsv}`)
  const size = headerSize(header)
  if (!(offset >= 0) || offset % 1 !== 0 || offset + size > bytes.length) {
    throw new RangeError(`header of ${size} bytes does not fit at offset ${offset}`)
  }
  bytes[offset] = (header.fin ? 0x80 : 0) | (header.rsv << 4) | header.opCode
  const maskBit = header.masked ? 0x80 : 0
  let p = offset + 2
  if (length < 126) {
    bytes[offset + 1] = maskBit | length
  } else if (length < 0x10000) {
    bytes[offset + 1] = maskBit | 126
    bytes[p] = length >>> 8
    bytes[p + 1] = length
    p += 2
  } else {
    bytes[offset + 1] = maskBit | 127
    const high = Math.floor(length / 0x100000000)
    bytes[p] = 0
    bytes[p + 1] = high >>> 16
    bytes[p + 2] = high >>> 8
    bytes[p + 3] = high
    bytes[p + 4] = length >>> 24
    bytes[p + 5] = length >>> 16
    bytes[p + 6] = length >>> 8
    bytes[p + 7] = length
    p += 8
  }
  if (header.masked) {
    const mask = header.mask
    bytes[p] = mask >>> 24
    bytes[p + 1] = mask >>> 16
    bytes[p + 2] = mask >>> 8
    bytes[p + 3] = mask
  }
  return size
}
