import { compileFrame, newFrame, OpCode, Rsv1 } from '@ws-toolkit/ws-core'
import { type DeflateAgreement, type DeflateEngine, MessageDeflater } from '@ws-toolkit/ws-flate'

/** CompressionOptions says how a {@link Fanout} compresses the frames it shares (RFC 7692). */
export interface CompressionOptions {
  /** engine makes the compressors: ws-flate's `defaultEngine` (node:zlib on Node.js) unless given. */
  engine: DeflateEngine
  /** Messages shorter than this many bytes go out uncompressed (RFC 7692 §6 allows it). Default 128. */
  threshold?: number | undefined
  /** The compression level, 1 to 9; the engine's default when absent. */
  level?: number | undefined
}

/**
 * SharedDeflaters holds one compressor per window size (RFC 7692 §7.1.2.1), without context
 * takeover, made when first needed and reused for every message of the node: its output is
 * every subscriber's, so it must not depend on any connection's history.
 */
export class SharedDeflaters {
  private readonly deflaters: (MessageDeflater | undefined)[] = []
  /** threshold: messages shorter than this are not compressed. */
  readonly threshold: number

  /** new SharedDeflaters(options) checks the threshold (a non-negative number). */
  constructor(private readonly options: CompressionOptions) {
    const { threshold = 128 } = options
    if (!(threshold >= 0)) throw new RangeError(`invalid threshold ${threshold}`)
    this.threshold = threshold
  }

  /** windowFor is the window a subscriber with `agreement` gets shared frames compressed with, or 0 for uncompressed frames. */
  windowFor(agreement: DeflateAgreement | null | undefined): number {
    if (agreement == null || !agreement.serverNoContextTakeover) return 0
    const bits = agreement.serverMaxWindowBits
    return bits >= this.options.engine.minWindowBits ? bits : 0
  }

  /** compress returns `payload` compressed as one message with a `bits` window: the engine's memory, valid until the next call. */
  compress(bits: number, payload: Uint8Array): Uint8Array {
    let deflater = this.deflaters[bits]
    if (deflater === undefined) {
      const raw = this.options.engine.createDeflater({ windowBits: bits, keepContext: false, level: this.options.level })
      deflater = this.deflaters[bits] = new MessageDeflater(raw, { keepContext: false })
    }
    return deflater.compress(payload)!
  }
}

/**
 * MessageFrames builds the frames of one message for every local subscriber, each at most once:
 * the uncompressed frame, and one compressed frame per window size asked for (RSV1 set, RFC
 * 7692 §6.1), or the uncompressed one where compressing would not make it smaller. Each is a
 * new buffer, unmasked (a server's, RFC 6455 §5.1), shared by every subscriber it is written to.
 */
export class MessageFrames {
  private plainFrame: Uint8Array | null = null
  private readonly compressed: (Uint8Array | undefined)[] = []
  /** built counts the frames built for this message. */
  built = 0

  /** new MessageFrames(...) holds `payload` (not copied: it must stay as it is while frames are built). */
  constructor(private readonly binary: boolean, private readonly payload: Uint8Array, private readonly deflaters: SharedDeflaters | null) {}

  /** plain is the uncompressed frame. */
  plain(): Uint8Array {
    if (this.plainFrame === null) {
      this.plainFrame = compileFrame(newFrame(this.binary ? OpCode.Binary : OpCode.Text, true, this.payload))
      this.built++
    }
    return this.plainFrame
  }

  /** for returns the frame for a subscriber with `agreement`. */
  for(agreement: DeflateAgreement | null | undefined): Uint8Array {
    const deflaters = this.deflaters
    if (deflaters === null || this.payload.length < deflaters.threshold) return this.plain()
    const bits = deflaters.windowFor(agreement)
    if (bits === 0) return this.plain()
    let frame = this.compressed[bits]
    if (frame === undefined) {
      const payload = deflaters.compress(bits, this.payload)
      if (payload.length >= this.payload.length) {
        frame = this.plain()
      } else {
        const header = newFrame(this.binary ? OpCode.Binary : OpCode.Text, true, payload)
        header.header.rsv = Rsv1
        frame = compileFrame(header)
        this.built++
      }
      this.compressed[bits] = frame
    }
    return frame
  }
}
