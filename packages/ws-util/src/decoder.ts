import {
  advanceState, checkHeader, cipher, ErrorCode, type Header, InvalidPayloadError, LimitError, MaxHeaderSize, newHeader,
  newProtocolState, OpCode, parseCloseBody, type ProtocolState, readHeader, Rsv1, type Side, Utf8Validator,
} from '@ws-toolkit/ws-core'
import { simdCipher } from './simd-cipher.js'

/**
 * DecoderLimits bounds what a peer can make a {@link FrameDecoder} accept (RFC 6455 §10.4).
 * Bytes are capped rather than fragments: a conformant peer may send a 16 MiB message in
 * 64-byte fragments, so the fragment cap only stops floods of tiny or empty frames.
 */
export interface DecoderLimits {
  /** Largest frame payload: {@link LimitError} 1009 beyond it. */
  maxFrameSize: number
  /** Largest message, all fragments together: {@link LimitError} 1009 beyond it. */
  maxMessageSize: number
  /** Most frames in one message: {@link LimitError} 1008 beyond it. */
  maxFragments: number
}

/** The payload of an empty control frame: shared, nothing to unmask or change. */
const noPayload = new Uint8Array(0)

/** defaultDecoderLimits: 64 MiB frames and messages, 2^20 fragments a message. */
export const defaultDecoderLimits: Readonly<DecoderLimits> = { maxFrameSize: 64 << 20, maxMessageSize: 64 << 20, maxFragments: 1 << 20 }

/**
 * DecoderHandler receives what a {@link FrameDecoder} finds, synchronously, inside `push`.
 * Views are into the pushed chunk, unmasked in place, and valid until `push` returns: copy
 * what you keep. `header` objects are the decoder's and are reused: read, don't keep.
 */
export interface DecoderHandler {
  /** A data frame (text, binary, continuation) passed every check; its payload follows. */
  onDataFrame?(header: Header): void
  /** The next piece of the current data frame's payload (never empty). */
  onData(payload: Uint8Array, header: Header): void
  /**
   * The final frame's last byte was delivered: the message `opCode` (Text or Binary) is
   * complete; a text message that was not compressed has been checked as UTF-8.
   */
  onMessageEnd(opCode: number, compressed: boolean): void
  /**
   * A whole control frame (§5.5), payload unmasked (at most 125 bytes). A close body was
   * validated (§5.5.1, §7.4) before this call.
   */
  onControl(opCode: number, payload: Uint8Array): void
}

/**
 * FrameDecoder turns socket chunks into frames for an event loop: `push(chunk)` finds every
 * frame in it, in any chunking, one byte at a time included, and calls the handler. Data
 * payloads are never copied: they are unmasked where they lie and handed out as views.
 * The only bytes it keeps between pushes are a partial header (at most 14 bytes) and a
 * partial control frame (at most 125): what a peer can make it buffer is bounded by
 * construction, whatever it sends.
 *
 * Every header passes ws-core's checkHeader (RFC 6455 §5); text is validated as it arrives
 * and fails at the first invalid byte (§8.1); limits apply before any payload is delivered.
 * A violation throws the ws-core error (ProtocolError 1002, InvalidPayloadError 1007,
 * LimitError 1009 or 1008) and the decoder stays failed: later pushes throw it again.
 */
export class FrameDecoder {
  private readonly handler: DecoderHandler
  private readonly limits: DecoderLimits
  private readonly state: ProtocolState
  /** Made at the first text payload: a connection that sends none never pays for it. */
  private utf8: Utf8Validator | null = null
  /** The header being read; then the current data frame's, or the control frame's. */
  private next = newHeader()
  private data = newHeader()
  /** A header split across chunks, made the first time one is (most connections never need it). */
  private headerBytes: Uint8Array | null = null
  private headerHave = 0
  /** A control frame split across chunks, made the first time one is; a whole one is read where it lies. */
  private controlBytes: Uint8Array | null = null
  private controlHave = 0
  /** Payload bytes of the current frame still to come; -1 while reading a header. */
  private remaining = -1
  private frameOffset = 0
  private inControl = false
  private messageOpCode = 0
  private compressed = false
  private messageBytes = 0
  private fragments = 0
  private failure: unknown = null

  /** new FrameDecoder(side, handler, options) decodes frames sent to this `side`; `allowedRsv` lists the RSV bits negotiated extensions use (RFC 6455 §5.2). */
  constructor(side: Side, handler: DecoderHandler, options: { allowedRsv?: number | undefined; limits?: Partial<DecoderLimits> | undefined } = {}) {
    this.handler = handler
    // Without limits of its own, a decoder shares the defaults (nothing allocated for them).
    this.limits = options.limits === undefined ? defaultDecoderLimits : { ...defaultDecoderLimits, ...options.limits }
    this.state = newProtocolState(side, options.allowedRsv ?? 0)
  }

  /** push hands the decoder the next bytes from the socket; `chunk` is unmasked in place. */
  push(chunk: Uint8Array): void {
    if (this.failure !== null) throw this.failure
    try {
      this.consume(chunk)
    } catch (error) {
      this.failure = error
      throw error
    }
  }

  /** fragmented reports whether a fragmented message is in progress (a clean close may still come). */
  get fragmented(): boolean {
    return this.state.fragmented
  }

  private consume(chunk: Uint8Array): void {
    let offset = 0
    const length = chunk.length
    while (offset < length) {
      if (this.remaining === -1) {
        offset = this.readHeaderFrom(chunk, offset)
        if (this.remaining === -1) return
        if (this.remaining === 0) this.finishFrame()
        continue
      }
      const take = Math.min(this.remaining, length - offset)
      if (this.inControl) {
        if (this.controlHave === 0 && take === this.remaining) {
          // The whole control frame is in this chunk: read where it lies, as data is.
          this.remaining = -1
          this.finishControl(chunk.subarray(offset, offset + take))
          offset += take
          continue
        }
        this.controlBytes ??= new Uint8Array(125)
        this.controlBytes.set(chunk.subarray(offset, offset + take), this.controlHave)
        this.controlHave += take
      } else {
        const piece = chunk.subarray(offset, offset + take)
        simdCipher(piece, this.data.mask, this.frameOffset)
        this.frameOffset += take
        if (this.messageOpCode === OpCode.Text && !this.compressed) {
          const bad = (this.utf8 ??= new Utf8Validator()).write(piece)
          if (bad !== -1) throw new InvalidPayloadError(ErrorCode.InvalidUtf8, `invalid UTF-8 at byte ${this.messageBytes - this.remaining + bad} of the message`)
        }
        this.handler.onData(piece, this.data)
      }
      offset += take
      this.remaining -= take
      if (this.remaining === 0) this.finishFrame()
    }
  }

  /** readHeaderFrom reads a header starting at `offset`, buffering a partial one; returns the new offset. */
  private readHeaderFrom(chunk: Uint8Array, offset: number): number {
    let size: number
    if (this.headerHave === 0) {
      size = readHeader(chunk, offset, this.next)
      if (size === 0) {
        this.headerBytes ??= new Uint8Array(MaxHeaderSize)
        this.headerBytes.set(chunk.subarray(offset), 0)
        this.headerHave = chunk.length - offset
        return chunk.length
      }
      offset += size
    } else {
      // Add bytes one call at a time until the buffered header is whole (at most 13 more).
      const before = this.headerHave
      const add = Math.min(MaxHeaderSize - before, chunk.length - offset)
      const held = this.headerBytes!
      held.set(chunk.subarray(offset, offset + add), before)
      size = readHeader(held.subarray(0, before + add), 0, this.next)
      if (size === 0) {
        this.headerHave = before + add
        return offset + add
      }
      this.headerHave = 0
      offset += size - before
    }
    this.startFrame()
    return offset
  }

  private startFrame(): void {
    const header = this.next
    checkHeader(header, this.state)
    const limits = this.limits
    if (header.length > limits.maxFrameSize) {
      throw new LimitError(ErrorCode.FrameTooLarge, `frame of ${header.length} bytes exceeds ${limits.maxFrameSize}`)
    }
    if (header.opCode >= OpCode.Close) {
      this.inControl = true
      this.controlHave = 0
      this.remaining = header.length
      return
    }
    if (header.opCode !== OpCode.Continuation) {
      this.messageOpCode = header.opCode
      this.compressed = (header.rsv & Rsv1) !== 0
      this.messageBytes = 0
      this.fragments = 0
    }
    if (++this.fragments > limits.maxFragments) {
      throw new LimitError(ErrorCode.TooManyFragments, `message in more than ${limits.maxFragments} frames`, 1008)
    }
    this.messageBytes += header.length
    if (this.messageBytes > limits.maxMessageSize) {
      throw new LimitError(ErrorCode.MessageTooLarge, `message of more than ${limits.maxMessageSize} bytes`)
    }
    advanceState(this.state, header)
    // The data frame's header moves aside so that control frames in between can be read.
    this.next = this.data
    this.data = header
    this.inControl = false
    this.frameOffset = 0
    this.remaining = header.length
    this.handler.onDataFrame?.(header)
  }

  private finishFrame(): void {
    this.remaining = -1
    if (this.inControl) {
      this.finishControl(this.controlHave === 0 ? noPayload : this.controlBytes!.subarray(0, this.controlHave))
      return
    }
    if (!this.data.fin) return
    if (this.messageOpCode === OpCode.Text && !this.compressed && this.utf8 !== null && !this.utf8.end()) {
      throw new InvalidPayloadError(ErrorCode.InvalidUtf8, 'text message ends inside a UTF-8 sequence')
    }
    this.handler.onMessageEnd(this.messageOpCode, this.compressed)
  }

  /** finishControl unmasks a whole control frame's payload in place, checks a close body (§5.5.1) and hands it over. */
  private finishControl(payload: Uint8Array): void {
    const header = this.next
    cipher(payload, header.mask, 0)
    if (header.opCode === OpCode.Close) parseCloseBody(payload)
    this.inControl = false
    this.handler.onControl(header.opCode, payload)
  }
}
