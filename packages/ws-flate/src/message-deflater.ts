import { type RawDeflater, syncTail } from './engine.js'
import type { EngineSource } from './engine-source.js'

/** emptyMessage is an empty message compressed (RFC 7692 §7.2.3.6): an empty stored block without its tail. */
const emptyMessage = Uint8Array.of(0x00)
/** emptyPiece is what an empty piece of a message compresses to before any byte: nothing yet. */
const emptyPiece = new Uint8Array(0)

/** MessageDeflaterOptions configures a {@link MessageDeflater}. */
export interface MessageDeflaterOptions {
  /** Keep the compressor's history from message to message (context takeover, RFC 7692 §7.1.1). */
  keepContext: boolean
  /** Messages shorter than this many bytes are sent uncompressed by {@link MessageDeflater.compress}. Default 0. */
  threshold?: number | undefined
}

/**
 * MessageDeflater compresses the messages one endpoint sends (RFC 7692 §7.2.1) with a raw
 * DEFLATE engine: each message ends with a sync flush, whose `00 00 ff ff` tail is removed; an
 * empty message is the single byte `00`; without context takeover the engine is reset after
 * every message. The bytes it returns are the payload of frames with RSV1 set on the first
 * frame only (§6.1). They may be the engine's memory, reused at the next call: write them
 * (a BatchWriter copies them) or copy them before compressing again.
 */
export class MessageDeflater {
  private readonly source: EngineSource<RawDeflater> | null
  /** The engine this deflater holds: for good (given one, or context kept), or for the message in progress. */
  private raw: RawDeflater | null
  private readonly keepContext: boolean
  private readonly threshold: number
  /** Bytes of the message being compressed in pieces so far. */
  private messageBytes = 0
  /** A message is in progress (a piece written, its last not yet). */
  private midMessage = false
  /** Calls that used the engine: the idle sweep's sign of life. */
  private used = 0

  /**
   * new MessageDeflater(raw, options) takes `raw` over (the deflater resets and closes it), or
   * takes engines from an {@link EngineSource} when a message needs one: lent per message by
   * a source with `give` (no context takeover: a shared pool), or made on first use and kept.
   * A negative threshold is a RangeError.
   */
  constructor(raw: RawDeflater | EngineSource<RawDeflater>, options: MessageDeflaterOptions) {
    const { keepContext, threshold = 0 } = options
    if (!(threshold >= 0)) throw new RangeError(`invalid threshold ${threshold}`)
    const source = 'take' in raw ? raw : null
    if (source?.give !== undefined && keepContext) throw new RangeError('an engine lent per message cannot keep the context: use a source without give, or keepContext false')
    this.source = source
    this.raw = source === null ? (raw as RawDeflater) : null
    this.keepContext = keepContext
    this.threshold = threshold
  }

  /**
   * compress compresses a whole message: the payload of one frame with RSV1 set, or null when
   * the message is shorter than the threshold (send `payload` as it is, RSV1 clear: a message
   * is compressed or not, one by one, §6).
   */
  compress(payload: Uint8Array): Uint8Array | null {
    if (payload.length < this.threshold) return null
    return this.write(payload, true)
  }

  /**
   * write compresses the next piece of a message sent in fragments (§6.1): each call's result
   * is the next fragment's payload (possibly empty: the engine may hold bytes back), the first
   * fragment with RSV1 set. `last` ends the message. The result may be the engine's memory:
   * with a source that lends engines, valid until the next compression by anyone in the process.
   */
  write(piece: Uint8Array, last: boolean): Uint8Array {
    this.used++
    this.messageBytes += piece.length
    this.midMessage = !last
    if (!last) {
      // Nothing to compress yet (empty pieces): no engine is taken for them.
      if (this.messageBytes === 0) return emptyPiece
      try {
        return this.engine().write(piece, false)
      } catch (error) {
        this.drop()
        throw error
      }
    }
    const empty = this.messageBytes === 0
    this.messageBytes = 0
    if (empty) {
      // Nothing was pushed: an engine taken for this message is as it was.
      this.giveBack()
      return emptyMessage
    }
    const raw = this.engine()
    let out: Uint8Array
    try {
      out = raw.write(piece, true)
    } catch (error) {
      this.drop()
      throw error
    }
    const end = out.length - syncTail.length
    if (end < 0 || out[end] !== 0 || out[end + 1] !== 0 || out[end + 2] !== 0xff || out[end + 3] !== 0xff) {
      this.drop()
      throw new Error('the deflate engine did not end the message with a sync flush (00 00 ff ff)')
    }
    if (!this.keepContext) {
      raw.reset()
      this.giveBack()
    }
    return out.subarray(0, end)
  }

  /**
   * reset forgets the history and any unfinished message (RFC 7692 §7.1.1's reset): the next
   * message refers to nothing sent before it. Call it after sending, on this connection, a
   * message compressed elsewhere ({@link compressFrame}, a broadcast frame): the peer's window
   * then holds bytes this compressor never saw. ws-util's writers call it for you, and after a
   * message abandoned half-way.
   */
  reset(): void {
    this.raw?.reset()
    this.giveBack()
    this.messageBytes = 0
    this.midMessage = false
  }

  /**
   * release frees the engine this deflater keeps between messages, when it took it from an
   * {@link EngineSource} (which makes another at the next message). With context takeover
   * the next message then starts a new history and refers to nothing sent before it, which
   * the peer's decompressor, keeping its window, reads as ever (RFC 7692 §7.1.1: a compressor
   * may always choose not to refer back; only compression of the next message suffers).
   * Returns true when it holds no engine now; false in the middle of a message, or when it
   * was given its engine at construction (it keeps that one).
   */
  release(): boolean {
    if (this.midMessage) return false
    if (this.raw === null) return true
    if (this.source === null) return false
    this.raw.close?.()
    this.raw = null
    return true
  }

  /**
   * activity changes whenever the deflater is used (a count of calls).
   * @internal
   */
  get activity(): number {
    return this.used
  }

  /** close frees the engine this deflater holds (a lent one is closed too: it may hold half a message). */
  close(): void {
    this.raw?.close?.()
    if (this.source !== null) this.raw = null
  }

  /** engine is the engine for this message: the one held, or one taken from the source now. */
  private engine(): RawDeflater {
    this.raw ??= this.source!.take()
    return this.raw
  }

  /** giveBack returns a lent engine (reset already) to its source. */
  private giveBack(): void {
    if (this.raw === null || this.source?.give === undefined) return
    this.source.give(this.raw)
    this.raw = null
  }

  /** drop closes a lent engine that failed: it is never given back. One kept for good stays (the connection must fail). */
  private drop(): void {
    if (this.source?.give === undefined) return
    this.raw?.close?.()
    this.raw = null
  }
}
