import { ErrorCode, InvalidPayloadError, LimitError, OpCode, Utf8Validator } from '@ws-toolkit/ws-core'

/**
 * MessageCompressor is a negotiated compression extension's sending half, as ws-util's
 * writers use it: @ws-toolkit/ws-flate's `MessageDeflater` is one (RFC 7692 permessage-deflate).
 * ws-util does not depend on ws-flate; anything of this shape plugs in. Results may be the
 * compressor's memory, valid until its next call: the writers copy or send them at once.
 */
export interface MessageCompressor {
  /** A whole message's payload compressed (for one frame with RSV1 set), or null to send it uncompressed. */
  compress(payload: Uint8Array): Uint8Array | null
  /** The next piece of a message sent in fragments, compressed; `last` ends the message. */
  write(piece: Uint8Array, last: boolean): Uint8Array
  /**
   * Forgets the history and any unfinished message: the next message refers to nothing sent
   * before it. The writers call it after sending a message compressed elsewhere (RSV1 given:
   * the peer's window now holds bytes this compressor never saw) and after a message
   * abandoned half-way.
   */
  reset?(): void
}

/**
 * MessageDecompressor is the receiving half: @ws-toolkit/ws-flate's `MessageInflater` is one.
 * Output goes to `sink` as views valid during the call only; a sink that throws stops it.
 */
export interface MessageDecompressor {
  /**
   * Decompresses the next piece of a compressed message's payload. `limit` is how many more
   * bytes of this message the reader takes: past it the sink throws, and a decompressor
   * should not work far beyond it.
   */
  write(piece: Uint8Array, sink: (chunk: Uint8Array) => void, limit?: number): void
  /** The message's last piece was written: the rest of its output. */
  end(sink: (chunk: Uint8Array) => void, limit?: number): void
}

/**
 * Inflation runs one reader's compressed messages through its decompressor and applies the
 * rules that the frame decoder cannot apply to compressed bytes: the message limit counts
 * decompressed bytes, checked as they are produced (a LimitError, 1009, stops the
 * decompressor at once), and a text message must be UTF-8 once decompressed, failing at the
 * first invalid byte (RFC 6455 §8.1, an InvalidPayloadError, 1007).
 */
export class Inflation {
  private readonly decompressor: MessageDecompressor
  private readonly maxMessageSize: number
  private readonly utf8 = new Utf8Validator()
  private text = false
  private size = 0
  private deliver!: (chunk: Uint8Array) => void
  private readonly checked = (chunk: Uint8Array): void => {
    this.size += chunk.length
    if (this.size > this.maxMessageSize) {
      throw new LimitError(ErrorCode.MessageTooLarge, `message decompresses to more than ${this.maxMessageSize} bytes`)
    }
    if (this.text) {
      const bad = this.utf8.write(chunk)
      if (bad !== -1) throw new InvalidPayloadError(ErrorCode.InvalidUtf8, `invalid UTF-8 at byte ${this.size - chunk.length + bad} of the decompressed message`)
    }
    this.deliver(chunk)
  }

  constructor(decompressor: MessageDecompressor, maxMessageSize: number) {
    this.decompressor = decompressor
    this.maxMessageSize = maxMessageSize
  }

  /** start begins a compressed message of `opCode`; output goes to `deliver` (views valid during the call). */
  start(opCode: number, deliver: (chunk: Uint8Array) => void): void {
    this.text = opCode === OpCode.Text
    this.utf8.reset()
    this.size = 0
    this.deliver = deliver
  }

  write(piece: Uint8Array): void {
    this.decompressor.write(piece, this.checked, this.maxMessageSize - this.size)
  }

  end(): void {
    this.decompressor.end(this.checked, this.maxMessageSize - this.size)
    if (this.text && !this.utf8.end()) throw new InvalidPayloadError(ErrorCode.InvalidUtf8, 'decompressed text ends inside a UTF-8 sequence')
  }
}

/** ownCopy copies a decompressor's output (valid during its call only) into a Buffer of its own, not a pool slice. */
export function ownCopy(chunk: Uint8Array): Buffer {
  const copy = Buffer.allocUnsafeSlow(chunk.length)
  copy.set(chunk)
  return copy
}
