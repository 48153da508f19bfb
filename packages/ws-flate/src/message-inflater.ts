import { ErrorCode, InvalidPayloadError, LimitError, WebSocketError } from '@ws-toolkit/ws-core'
import { concat } from './concat.js'
import { type RawInflater, type Sink, syncTail } from './engine.js'
import type { EngineSource } from './engine-source.js'

/** MessageInflaterOptions configures a {@link MessageInflater}. */
export interface MessageInflaterOptions {
  /** The largest message, decompressed: {@link LimitError} 1009 beyond it. Default 64 MiB. */
  maxMessageSize?: number | undefined
}

/** defaultMaxMessageSize is ws-util's default message limit too: 64 MiB. */
export const defaultMaxMessageSize = 64 << 20

/**
 * MessageInflater decompresses the messages a peer sends (RFC 7692 §7.2.2): the pieces of a
 * message's payload, as frames arrive, then the `00 00 ff ff` tail it adds at the end. The
 * size limit is enforced while inflating, not after: output is counted as the engine produces
 * it, and the message fails with a {@link LimitError} (close code 1009) as soon as it grows
 * past `maxMessageSize`, so a compression bomb costs about the limit in work, not its own
 * size. Data that does not inflate fails with an {@link InvalidPayloadError} (1007). After
 * an error the inflater is unusable: fail the connection.
 */
export class MessageInflater {
  private readonly source: EngineSource<RawInflater> | null
  /** The engine this inflater holds: for good (given one, or context kept), or for the message in progress. */
  private raw: RawInflater | null
  private readonly maxMessageSize: number
  private size = 0
  /** Compressed bytes of the current message so far. */
  private input = 0
  /** A message is in progress (written to, not ended yet). */
  private midMessage = false
  /** Calls that used the engine: the idle sweep's sign of life. */
  private used = 0
  /** The most bytes the caller takes, in all, for the current message. */
  private limit = 0
  private sink: Sink | null = null
  /** An error the caller's sink threw: passed on as it is. */
  private sinkError: unknown = null
  private readonly counted: Sink = (chunk) => {
    this.size += chunk.length
    if (this.size > this.limit) throw new LimitError(ErrorCode.MessageTooLarge, `message inflates to more than ${this.limit} bytes`)
    try {
      this.sink!(chunk)
    } catch (error) {
      this.sinkError = error
      throw error
    }
  }

  /**
   * new MessageInflater(raw, options) takes `raw` over (the inflater resets and closes it), or
   * takes engines from an {@link EngineSource} when a compressed message arrives: lent for
   * that message by a source with `give` (the peer keeps no context: a shared pool), or made
   * on first use and kept. A negative maxMessageSize is a RangeError.
   */
  constructor(raw: RawInflater | EngineSource<RawInflater>, options: MessageInflaterOptions = {}) {
    const { maxMessageSize = defaultMaxMessageSize } = options
    if (!(maxMessageSize >= 0)) throw new RangeError(`invalid maxMessageSize ${maxMessageSize}`)
    this.source = 'take' in raw ? raw : null
    this.raw = this.source === null ? (raw as RawInflater) : null
    this.maxMessageSize = maxMessageSize
  }

  /**
   * write inflates the next piece of a compressed message's payload (read during the call
   * only), passing output to `sink`: views valid during the call only. `limit` lowers the
   * message limit for the rest of this message to that many more bytes (a reader's own).
   */
  write(piece: Uint8Array, sink: Sink, limit?: number): void {
    this.midMessage = true
    this.input += piece.length
    this.run(piece, false, sink, limit)
  }

  /**
   * end finishes the message: the tail is added and the rest of its output goes to `sink`.
   * A compressed message with no payload at all is not valid DEFLATE (an empty message is
   * `00`, §7.2.3.6), but it can only mean an empty message: it is taken as one, and the
   * engine is not touched (zlib would keep the tail as half a block).
   */
  end(sink: Sink, limit?: number): void {
    if (this.input > 0) this.run(syncTail, true, sink, limit)
    this.size = 0
    this.input = 0
    this.midMessage = false
    // A lent engine has forgotten the message (no context, RawInflater's contract): back it goes.
    if (this.raw !== null && this.source?.give !== undefined) {
      this.source.give(this.raw)
      this.raw = null
    }
  }

  /** inflate decompresses a whole message's payload into a new buffer of its own. */
  inflate(payload: Uint8Array): Uint8Array {
    const pieces: Uint8Array[] = []
    const keep: Sink = (chunk) => pieces.push(new Uint8Array(chunk)) // a copy (slice() on a Buffer would be a view)
    this.write(payload, keep)
    this.end(keep)
    return concat(pieces)
  }

  /**
   * release frees, between messages, what the engine it keeps can make again (see
   * {@link RawInflater.release}: both shipped engines can), keeping the window a later
   * message may refer back to when the peer keeps its context (RFC 7692 §7.1.1). Returns
   * true when released (or nothing is held); false in the middle of a message, or when the
   * engine cannot release.
   */
  release(): boolean {
    if (this.midMessage) return false
    if (this.raw === null) return true
    if (this.raw.release === undefined) return false
    this.raw.release()
    return true
  }

  /**
   * activity changes whenever the inflater is used (a count of calls).
   * @internal
   */
  get activity(): number {
    return this.used
  }

  /** close frees the engine this inflater holds (a lent one is closed too: it may hold half a message). */
  close(): void {
    this.raw?.close?.()
    if (this.source !== null) this.raw = null
  }

  private run(data: Uint8Array, last: boolean, sink: Sink, limit = Infinity): void {
    this.used++
    this.sink = sink
    this.limit = Math.min(this.maxMessageSize, this.size + limit)
    this.raw ??= this.source!.take()
    try {
      // Pieces up to one byte past the limit: the one that crosses it is the last produced.
      this.raw.write(data, last, this.counted, this.limit - this.size + 1)
    } catch (error) {
      // A lent engine that failed is never given back: it may hold half a message.
      if (this.source?.give !== undefined) this.close()
      if (error instanceof WebSocketError || error === this.sinkError) throw error
      throw new InvalidPayloadError(ErrorCode.InvalidCompressedData, `compressed message does not inflate: ${(error as Error).message}`)
    } finally {
      this.sink = null
    }
  }
}
