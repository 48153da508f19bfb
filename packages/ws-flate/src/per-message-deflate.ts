import type { Side } from '@ws-toolkit/ws-core'
import type { DeflateEngine, DeflaterOptions, RawDeflater, RawInflater } from './engine.js'
import { lazySource, sharedDeflaters, sharedInflaters } from './engine-source.js'
import { defaultEngine } from './default-engine.js'
import { idleSweep, type IdleSweep, type Releasable } from './idle-sweep.js'
import { checkLevel, checkMemLevel } from './level.js'
import { MessageDeflater } from './message-deflater.js'
import { MessageInflater } from './message-inflater.js'
import { OffThreadDeflater } from './off-thread-deflater.js'
import type { DeflateAgreement } from './negotiation.js'

/** PerMessageDeflateOptions configures a {@link PerMessageDeflate}; every field is optional. */
export interface PerMessageDeflateOptions {
  /** The engine: {@link defaultEngine}() when absent (zlib on Node.js, fflate elsewhere). Negotiate with its `minWindowBits`. */
  engine?: DeflateEngine | undefined
  /** Compression level, 1 (fastest) to 9 (smallest); the engine's default (6) when absent. */
  level?: number | undefined
  /** Memory level of the compressor, 1 to 9 (see {@link DeflaterOptions.memLevel}); the engine's default when absent. */
  memLevel?: number | undefined
  /** Messages shorter than this are sent uncompressed (compressing them costs more than it saves). Default 128 bytes. */
  threshold?: number | undefined
  /** The largest message, decompressed: 1009 beyond it, enforced while inflating. Default 64 MiB. */
  maxMessageSize?: number | undefined
  /**
   * In a direction without context takeover, borrow the engine for each message from the
   * process's shared pool ({@link sharedDeflaters}, {@link sharedInflaters}) and give it back
   * after, so an idle connection holds no engine: true by default. With context takeover and
   * an engine that can make compressors off the main thread (the zlib engine), the
   * connection's compressor is made that way ({@link OffThreadDeflater}), so its memory goes
   * back to the system after close, and messages borrow from the pool until it is ready (see
   * `offThread`). False gives the connection engines of its own, made on the main thread on
   * first use.
   */
  shareEngines?: boolean | undefined
  /**
   * With context takeover and `shareEngines`, make the compressor off the main thread where the
   * engine can ({@link OffThreadDeflater}): true by default. Messages sent before it is ready
   * (up to {@link lentMessages}; the first has no context to use anyway) compress without the
   * context of earlier ones. False makes it on the main thread at the first message: every
   * message has its context, and its memory stays in the process after close (glibc).
   */
  offThread?: boolean | undefined
  /**
   * Release the engines a connection keeps (with context takeover, or without `shareEngines`)
   * once it has compressed and inflated nothing for this many milliseconds (released between
   * `releaseAfter` and twice that after its last message, by one process-wide timer per value;
   * see {@link PerMessageDeflate.release}). Absent: kept until `close()`.
   */
  releaseAfter?: number | undefined
}

/** defaultThreshold: messages under 128 bytes go uncompressed by default. */
export const defaultThreshold = 128

/**
 * PerMessageDeflate is permessage-deflate for one connection (RFC 7692), set up from the
 * agreement the handshake made and this endpoint's side: `deflater` compresses what this side
 * sends (with this side's window and context takeover), `inflater` decompresses what the peer
 * sends (with the peer's). Give them to ws-util's readers and writers (`compressor` /
 * `decompressor` options), or use them directly. No engine is made at the handshake: with
 * context takeover a direction makes its engine at its first compressed message and keeps it
 * (the context is the point); without, it borrows one from the process's shared pool for
 * each message (`shareEngines`), so that a connection between messages holds none. `close()`
 * when the connection ends frees what it holds at once (needed for node:zlib's native memory
 * only to free it sooner).
 */
export class PerMessageDeflate implements Releasable {
  /** deflater compresses the messages this side sends, with this side's window and context takeover (RFC 7692 §7.2.1). */
  readonly deflater: MessageDeflater
  /** inflater decompresses the messages the peer sends, with the peer's window and context takeover (RFC 7692 §7.2.2). */
  readonly inflater: MessageInflater
  /** The sweep that releases this connection's engines when idle (`releaseAfter`), if any. */
  private readonly sweep: IdleSweep | null

  /**
   * new PerMessageDeflate(agreement, side, options) makes no engine yet; a level outside 1-9,
   * a window of ours below the engine's `minWindowBits`, or a `releaseAfter` that is not a
   * positive number of milliseconds, is a RangeError.
   */
  constructor(agreement: DeflateAgreement, side: Side, options: PerMessageDeflateOptions = {}) {
    const { engine = defaultEngine(), level, memLevel, threshold = defaultThreshold, maxMessageSize, shareEngines = true, offThread = true, releaseAfter } = options
    checkLevel(level)
    checkMemLevel(memLevel)
    const server = side === 'server'
    const own = {
      windowBits: server ? agreement.serverMaxWindowBits : agreement.clientMaxWindowBits,
      keepContext: !(server ? agreement.serverNoContextTakeover : agreement.clientNoContextTakeover),
    }
    const peer = {
      windowBits: server ? agreement.clientMaxWindowBits : agreement.serverMaxWindowBits,
      keepContext: !(server ? agreement.clientNoContextTakeover : agreement.serverNoContextTakeover),
    }
    // The engine is made at the first message: what it would refuse is refused now.
    if (own.windowBits < engine.minWindowBits) {
      throw new RangeError(`the ${engine.name} engine cannot compress with a ${own.windowBits}-bit window (its minWindowBits is ${engine.minWindowBits}): negotiate with minWindowBits ${engine.minWindowBits}`)
    }
    const sweep = releaseAfter === undefined ? null : idleSweep(releaseAfter)
    // A kept engine is watched from when it is made (an inflater keeps being watched after a
    // release: it makes its stream again by itself).
    const kept = <T extends RawDeflater | RawInflater>(create: () => T) =>
      lazySource(() => {
        sweep?.watch(this)
        return create()
      })
    const ownDeflater = () => engine.createDeflater({ ...own, level, memLevel })
    const shared = () => sharedDeflaters(engine, { windowBits: own.windowBits, level, memLevel })
    const makeOffThread = offThread ? engine.createDeflaterOffThread?.bind(engine) : undefined
    const deflaters = !shareEngines
      ? kept(ownDeflater)
      : !own.keepContext
        ? shared()
        : makeOffThread === undefined
          ? kept(ownDeflater)
          : kept(() => new OffThreadDeflater(() => makeOffThread({ ...own, level, memLevel }), ownDeflater, shared()))
    const inflaters = peer.keepContext || !shareEngines ? kept(() => engine.createInflater(peer)) : sharedInflaters(engine, peer)
    this.deflater = new MessageDeflater(deflaters, { keepContext: own.keepContext, threshold })
    this.inflater = new MessageInflater(inflaters, { maxMessageSize })
    this.sweep = sweep
  }

  /**
   * release frees, between messages, the engines this connection keeps: the compressor is
   * closed and made again at the next message, which then refers to nothing sent before
   * (valid with context takeover, RFC 7692 §7.1.1: a compressor may always choose not to refer
   * back; that message compresses less); the decompressor keeps only the peer's window
   * with context takeover (the zlib engine: up to 2^windowBits bytes; fflate's: up to 32 KiB),
   * nothing without, and makes its stream again at the next message, which it inflates
   * exactly. `releaseAfter` calls it for you. Returns false when a half is in the middle of a
   * message, or its engine cannot release (that half keeps its engine).
   */
  release(): boolean {
    const deflater = this.deflater.release()
    const inflater = this.inflater.release()
    return deflater && inflater
  }

  /**
   * activity changes whenever either half is used (for the idle sweep).
   * @internal
   */
  get activity(): number {
    return this.deflater.activity + this.inflater.activity
  }

  /** close frees what both halves hold; neither may be used after it. */
  close(): void {
    this.sweep?.unwatch(this)
    this.deflater.close()
    this.inflater.close()
  }
}
