// The engine of examples/custom-compressor.ts: permessage-deflate written on node:zlib's public
// one-shot API (deflateRawSync / inflateRawSync). Each message is compressed on its own, with
// the last 32 KiB of earlier messages as the dictionary when the connection keeps its context,
// which is exactly what context takeover means on the wire. Bun and Deno have this API, but
// their raw streams ignore a dictionary (Bun's deflater, Deno's deflater and inflater: seen with
// Bun 1.4 and Deno 2.9): there this engine compresses each message alone (still valid) and, on
// Deno, cannot inflate a peer's message that refers to an earlier one.
// ws-flate does the RFC 7692 parts around it: the 00 00 ff ff tail, the empty message, the size
// limit, RSV1. ws-flate's differential fuzzer runs it beside the shipped engines.
import { constants, deflateRawSync, inflateRawSync } from 'node:zlib'
import { ErrorCode, LimitError } from '@ws-toolkit/ws-core'
import type { DeflateEngine, DeflaterOptions, InflaterOptions, RawDeflater, RawInflater, Sink } from '@ws-toolkit/ws-flate'

const window = 32768

/** Window keeps the last 32 KiB of a stream: the dictionary the next message may refer to. */
class Window {
  bytes = Buffer.alloc(0)
  add(data: Uint8Array): void {
    this.bytes = Buffer.concat([this.bytes, data]).subarray(-window)
  }
}

class OneShotDeflater implements RawDeflater {
  private readonly options: DeflaterOptions
  private readonly history = new Window()
  private readonly pieces: Uint8Array[] = []

  constructor(options: DeflaterOptions) {
    this.options = options
  }

  write(data: Uint8Array, last: boolean): Uint8Array {
    // One-shot: pieces of a fragmented message wait for its end.
    this.pieces.push(Buffer.from(data))
    if (!last) return new Uint8Array(0)
    const message = Buffer.concat(this.pieces.splice(0))
    const dictionary = this.history.bytes.length > 0 ? { dictionary: this.history.bytes.subarray(-(1 << this.options.windowBits)) } : {}
    // A sync flush ends the output with 00 00 ff ff, which ws-flate removes (RFC 7692 §7.2.1).
    const out = deflateRawSync(message, { level: this.options.level ?? 6, windowBits: this.options.windowBits, finishFlush: constants.Z_SYNC_FLUSH, ...dictionary })
    this.history.add(message)
    return out
  }

  reset(): void {
    // No context takeover: forget the earlier messages.
    this.history.bytes = Buffer.alloc(0)
  }
}

class OneShotInflater implements RawInflater {
  private readonly options: InflaterOptions
  private readonly history = new Window()
  private readonly pieces: Uint8Array[] = []

  constructor(options: InflaterOptions) {
    this.options = options
  }

  write(data: Uint8Array, last: boolean, sink: Sink, maxPiece: number): void {
    this.pieces.push(Buffer.from(data))
    if (!last) return
    const input = Buffer.concat(this.pieces.splice(0)) // ends with the 00 00 ff ff ws-flate added
    const dictionary = this.options.keepContext && this.history.bytes.length > 0 ? { dictionary: this.history.bytes } : {}
    let message: Buffer
    try {
      // maxOutputLength makes zlib stop as soon as the message is over the limit: a bomb costs
      // the limit's worth of work, not its own size. `maxPiece` is the limit left, plus one.
      message = inflateRawSync(input, { finishFlush: constants.Z_SYNC_FLUSH, maxOutputLength: maxPiece, ...dictionary })
    } catch (error) {
      if ((error as { code?: string }).code === 'ERR_BUFFER_TOO_LARGE') throw new LimitError(ErrorCode.MessageTooLarge, 'message too large when inflated')
      throw error // corrupt data: ws-flate turns it into close code 1007
    }
    if (this.options.keepContext) this.history.add(message)
    sink(message)
  }
}

/** oneShotEngine: any window from 9 bits (zlib's smallest for raw deflate), like the zlib engine. */
export const oneShotEngine: DeflateEngine = {
  name: 'one-shot zlib',
  minWindowBits: 9,
  createDeflater: (options) => new OneShotDeflater(options),
  createInflater: (options) => new OneShotInflater(options),
}
