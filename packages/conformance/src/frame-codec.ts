// The fuzzer's own frame codec. It writes any frame, valid or not (reserved bits and opcodes,
// oversized control frames, wrong masking), and reads whatever the peer sends without judging
// it: the judging is the session's, so a peer's violation is recorded rather than thrown.
import { randomBytes } from 'node:crypto'
import { cipher, type Header, newHeader, OpCode, readHeader, writeHeader } from '@ws-toolkit/ws-core'

/** FrameSpec is one frame to send (RFC 6455 §5.2); `fin` defaults to true, `rsv` to 0. */
export interface FrameSpec {
  opCode: number
  payload?: Uint8Array | string | undefined
  fin?: boolean | undefined
  rsv?: number | undefined
}

const encoder = new TextEncoder()

/** bytesOf is `data` as bytes: UTF-8 for a string, the array itself otherwise. */
export function bytesOf(data: Uint8Array | string = ''): Uint8Array {
  return typeof data === 'string' ? encoder.encode(data) : data
}

/** closeBody is a close frame's body (§5.5.1): nothing without `code`, else the code and the reason. */
export function closeBody(code?: number, reason: Uint8Array | string = ''): Uint8Array {
  return code === undefined ? new Uint8Array(0) : Buffer.concat([Buffer.from([code >> 8, code & 0xff]), bytesOf(reason)])
}

/** closeFrame is a close frame with {@link closeBody}'s body. */
export function closeFrame(code?: number, reason: Uint8Array | string = ''): FrameSpec {
  return { opCode: OpCode.Close, payload: closeBody(code, reason) }
}

/**
 * encodeFrame writes `spec` as one frame in a new buffer, masked with a random key when
 * `masked` (a client's frames, §5.3). The payload is copied; `spec` stays the caller's.
 */
export function encodeFrame(spec: FrameSpec, masked: boolean): Uint8Array {
  const payload = bytesOf(spec.payload)
  const header: Header = { fin: spec.fin ?? true, rsv: spec.rsv ?? 0, opCode: spec.opCode, masked, mask: masked ? randomBytes(4).readUInt32BE(0) : 0, length: payload.length }
  const out = new Uint8Array(14 + payload.length)
  const size = writeHeader(out, 0, header)
  out.set(payload, size)
  if (masked) cipher(out.subarray(size, size + payload.length), header.mask, 0)
  return out.subarray(0, size + payload.length)
}

/** The largest frame the fuzzer takes from a peer (no case sends more than 16 MiB). */
const maxFrame = 64 << 20

/** ReceivedFrame is a frame as the peer sent it, payload unmasked into a buffer of its own. */
export interface ReceivedFrame {
  opCode: number
  fin: boolean
  rsv: number
  masked: boolean
  payload: Uint8Array
}

/**
 * FrameParser splits the peer's bytes into frames. It holds the chunks of an incomplete frame
 * and joins them once, when the frame is complete, so a 16 MiB frame costs one copy. A header
 * it cannot read (a non-minimal or oversized length) throws ws-core's error.
 */
export class FrameParser {
  private chunks: Uint8Array[] = []
  private buffered = 0
  private readonly header = newHeader()
  /** The bytes the next frame needs before parsing is worth trying again. */
  private needed = 2

  push(chunk: Uint8Array, onFrame: (frame: ReceivedFrame) => void): void {
    this.chunks.push(chunk)
    this.buffered += chunk.length
    while (this.buffered >= this.needed) {
      const bytes = this.chunks.length === 1 ? this.chunks[0] : Buffer.concat(this.chunks)
      this.chunks = [bytes]
      const size = readHeader(bytes, 0, this.header)
      if (size === 0) {
        this.needed = this.buffered + 1
        continue
      }
      if (this.header.length > maxFrame) throw new RangeError(`a frame of ${this.header.length} bytes, more than the fuzzer takes (${maxFrame})`)
      const end = size + this.header.length
      if (bytes.length < end) {
        this.needed = end
        continue
      }
      const payload = new Uint8Array(bytes.subarray(size, end))
      if (this.header.masked) cipher(payload, this.header.mask, 0)
      const rest = bytes.subarray(end)
      this.chunks = rest.length > 0 ? [rest] : []
      this.buffered = rest.length
      this.needed = 2
      onFrame({ opCode: this.header.opCode, fin: this.header.fin, rsv: this.header.rsv, masked: this.header.masked, payload })
    }
  }
}
