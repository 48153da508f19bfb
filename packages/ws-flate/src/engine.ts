/**
 * The engine interface: the raw DEFLATE (RFC 1951) work permessage-deflate needs, and nothing
 * of WebSocket. The message layer ({@link MessageDeflater}, {@link MessageInflater}) does the
 * RFC 7692 parts: the `00 00 ff ff` tail, the empty message, the size limit, RSV1.
 */

/** Sink receives output as it is produced: a view valid during the call only (copy what you keep). */
export type Sink = (chunk: Uint8Array) => void

/** RawDeflater compresses one direction of a connection, message after message. */
export interface RawDeflater {
  /**
   * write compresses the next piece of a message. When `last` is true the message ends: the
   * output ends with a sync flush, an empty stored block (`00 00 ff ff`, RFC 7692 §7.2.1),
   * with every byte written so far decodable. Otherwise output may be held back (empty).
   * Returns the output; the engine may reuse its memory at the next call.
   */
  write(data: Uint8Array, last: boolean): Uint8Array
  /**
   * reset forgets the history after a message: the next one starts a new window and may not
   * refer back (no context takeover, RFC 7692 §7.1.1). Called only between messages.
   */
  reset(): void
  /** close frees what the engine holds (native memory for node:zlib); optional, idempotent. */
  close?(): void
}

/** RawInflater decompresses the other direction, message after message. */
export interface RawInflater {
  /**
   * write inflates the next bytes of a message's DEFLATE data and passes the output to `sink`
   * as it is produced, in pieces of at most `maxPiece` bytes, so that a sink that throws (the
   * message is over its size limit) stops it after little work. `last` marks the message's
   * last bytes (the message layer has appended the `00 00 ff ff` tail, RFC 7692 §7.2.2):
   * all its output must be delivered by the end of that call. A message whose data ends with
   * a BFINAL block ends there (§7.2.3.4): bytes after it are ignored, and the next message
   * continues from the window, as if the stream had gone on. After `last`, without context
   * takeover, the inflater forgets the window. Corrupt data throws any error; the message
   * layer turns it into an {@link @ws-toolkit/ws-core!InvalidPayloadError} (1007).
   */
  write(data: Uint8Array, last: boolean, sink: Sink, maxPiece: number): void
  /**
   * release frees, between messages, what the engine can rebuild at its next `write` (a
   * native stream, buffers), and keeps what a later message may refer back to: with context
   * takeover, the last 2^windowBits bytes inflated (RFC 7692 §7.1.1, §7.1.2). The next
   * `write` inflates as if nothing had been released. Called between messages only; optional
   * (an engine without it keeps everything until `close`).
   */
  release?(): void
  /** close frees what the engine holds; optional, idempotent. */
  close?(): void
}

/** DeflaterOptions describes the compressor the agreement allows (RFC 7692 §7.1). */
export interface DeflaterOptions {
  /** The LZ77 window, 8 to 15 bits: the compressor must not refer further back than 2^bits bytes. */
  windowBits: number
  /** Keep the history from message to message (context takeover), or reset after each. */
  keepContext: boolean
  /** Compression level, 1 (fastest) to 9 (smallest); the engine's default when absent. */
  level?: number | undefined
  /**
   * Memory level, 1 to 9, as zlib's `memLevel`: the compressor's hash table has 2^(memLevel + 7)
   * entries (zlib: 2^(memLevel + 9) bytes besides the window's 2^(windowBits + 2)). Less
   * memory per connection, somewhat less compression. The engine's default when absent
   * (zlib's 8; fflate's engine 9, a 128 KiB table).
   */
  memLevel?: number | undefined
}

/** InflaterOptions describes the peer's compressor (RFC 7692 §7.1). */
export interface InflaterOptions {
  /** The peer's window, 8 to 15 bits. */
  windowBits: number
  /** The peer keeps its history from message to message (context takeover). */
  keepContext: boolean
}

/**
 * DeflateEngine makes the raw DEFLATE compressors and decompressors a connection uses. Two
 * are shipped: {@link fflateEngine} (portable) and `zlibEngine` from
 * `@ws-toolkit/ws-flate/zlib` (Node.js and Bun, faster, any window); {@link defaultEngine}
 * picks the one that works best where it runs. Write your own to plug in another library (see
 * examples/custom-compressor.ts).
 */
export interface DeflateEngine {
  /** A name for messages and benchmarks. */
  readonly name: string
  /**
   * The smallest window, in bits, this engine's compressor can be held to (15 when it cannot
   * limit its window): pass it to the negotiation as `minWindowBits`.
   */
  readonly minWindowBits: number
  /** createDeflater returns a new raw compressor held to `options`: window, context takeover, level. */
  createDeflater(options: DeflaterOptions): RawDeflater
  /**
   * createDeflaterOffThread, where the engine has it, makes a compressor like
   * `createDeflater` whose memory is allocated off the main thread, which the C allocator can
   * give back to the system once it is freed (the zlib engine: on libuv's threadpool). It
   * resolves when the compressor is ready; until then, compress with another. Optional.
   */
  createDeflaterOffThread?(options: DeflaterOptions): Promise<RawDeflater>
  /** createInflater returns a new raw decompressor for the peer's window and context takeover in `options`. */
  createInflater(options: InflaterOptions): RawInflater
}

/** syncTail is the empty stored block's last 4 bytes, which RFC 7692 §7.2.1 removes and §7.2.2 adds back. */
export const syncTail: Uint8Array = Uint8Array.of(0x00, 0x00, 0xff, 0xff)

/**
 * EngineUnavailableError: an engine cannot work on this runtime, thrown by its
 * `createDeflater` or `createInflater` before any byte is touched (the zlib engine on a
 * runtime whose node:zlib lacks the synchronous binding it drives, or gets RFC 7692 wrong, as
 * Deno 2.9's does). Pick another engine, such as {@link fflateEngine}.
 */
export class EngineUnavailableError extends Error {
  /** The engine's name (`'zlib'`). */
  readonly engine: string
  /** Why it cannot work here, in a sentence. */
  readonly reason: string

  /** new EngineUnavailableError(engine, reason) names the engine and says why. */
  constructor(engine: string, reason: string) {
    super(`the ${engine} engine cannot work on this runtime: ${reason}; use another engine (fflateEngine works everywhere)`)
    this.name = 'EngineUnavailableError'
    this.engine = engine
    this.reason = reason
  }
}
