import type { Duplex } from 'node:stream'
import { CloseCode, type Header, OpCode, Rsv1, type Side, WebSocketError } from '@ws-toolkit/ws-core'
import { BatchWriter } from './batch-writer.js'
import { Inflation, type MessageDecompressor, ownCopy } from './compression.js'
import { answerControl, PongGate } from './control.js'
import { type DecoderHandler, type DecoderLimits, defaultDecoderLimits, FrameDecoder } from './decoder.js'
import { AbnormalClosureError } from './errors.js'
import { withoutStack } from './quiet-error.js'

const empty = new Uint8Array(0)
/** Pieces held before they are gathered into one buffer: bounds the list, not the bytes. */
const maxPieces = 1024

/** DataHandler receives what a {@link DataReader} reads, synchronously, from the socket's `data` events. */
export interface DataHandler {
  /**
   * A whole data message (RFC 6455 §5.6), text already checked as UTF-8 unless `compressed`
   * (RSV1, RFC 7692). `data` is not reused by the reader: a view of the socket's chunk
   * (unmasked in place) when the message arrived in one piece, otherwise a buffer assembled
   * for it. Keep it if you like. With a `decompressor`, compressed messages arrive
   * decompressed (and checked) in a buffer of their own, and `compressed` is false.
   */
  onMessage(opCode: number, data: Uint8Array, compressed: boolean): void
  /**
   * The connection is over, once: a {@link CloseError} when the peer closed (answered
   * already), the ws-core error when the peer broke the protocol (the connection was failed
   * with its close code), an {@link AbnormalClosureError} when the socket went away.
   */
  onClose?(reason: Error): void
  /**
   * Control frames (§5.5), `payload` valid during the call. Default:
   * {@link DataReader.defaultControl}. A handler that throws fails the connection with 1011.
   */
  onControl?(reader: DataReader, opCode: number, payload: Uint8Array): void
}

/** DataReaderOptions configures a {@link DataReader}. */
export interface DataReaderOptions {
  /** side is this endpoint: a server requires masked frames, a client unmasked ones (RFC 6455 §5.1). */
  side: Side
  /** The writer for this socket's answers (pongs, closes); one is made when absent. */
  writer?: BatchWriter | undefined
  /** limits bound frames, messages and fragments (RFC 6455 §10.4); unset ones take {@link defaultDecoderLimits}. */
  limits?: Partial<DecoderLimits> | undefined
  /** RSV bits the negotiated extensions use (RFC 6455 §5.2): RSV1 by default with a decompressor, else none. */
  allowedRsv?: number | undefined
  /**
   * The negotiated compression's receiving half (RFC 7692: a ws-flate `MessageInflater`):
   * messages with RSV1 are decompressed as they arrive, the message limit applying to the
   * decompressed size.
   */
  decompressor?: MessageDecompressor | undefined
}

/** readerOf is the property under which a socket keeps its reader, for the shared listeners. */
const readerOf = Symbol('ws-util DataReader')
/** ReaderSocket is a socket a {@link DataReader} reads. */
type ReaderSocket = Duplex & { [readerOf]: DataReader }

/**
 * DataReader reads whole messages from a socket for an event loop, with no streams and no
 * promises: from the `head` bytes the handshake handed back and then every `data` event, it
 * decodes frames ({@link FrameDecoder}: every RFC 6455 §5 check, UTF-8 failing at the first
 * bad byte, limits), answers control frames through its {@link BatchWriter}, and calls
 * `onMessage` for each message. A message that arrives whole in one chunk is handed over as a
 * view, without copying; one in several chunks or fragments is joined once, at its end, into a
 * buffer of its own. Until then the reader holds views of the chunks (those that are at least
 * half payload; smaller pieces are copied), so it holds at most about twice what arrived (a
 * header's claimed length allocates nothing), and memory is bounded by the decoder's limits
 * (64 MiB a message by default). Chunks are kept, not copied: the socket must
 * not reuse them, which `net.Socket` and `tls.TLSSocket` never do.
 *
 * It does not pause the socket by itself: if `onMessage` writes answers and the writer says
 * the socket is backed up, pause the socket until `drain`.
 */
export class DataReader implements DecoderHandler {
  /** socket is the connection's socket, read by this reader from construction on. */
  readonly socket: Duplex
  /** writer is the writer for this socket: the one given in the options, or one made for it. */
  readonly writer: BatchWriter
  private readonly side: Side
  private readonly handler: DataHandler
  private readonly decoder: FrameDecoder
  private readonly maxMessageSize: number
  /** Made at the first ping: most connections never get one. */
  private pongs: PongGate | null = null
  /** Set by stop (close sent, or ended): no more pongs. */
  private pongsStopped = false
  private readonly inflation: Inflation | null
  /** The current message is compressed and being decompressed. */
  private inflating = false
  /** The decompressor's sink: made only for a reader with a decompressor. */
  private readonly addInflated: ((chunk: Uint8Array) => void) | null
  /**
   * The current message: whole in one piece (`single`), or in pieces (views of the socket's
   * chunks, so the bytes held are the bytes received), joined once at its end, or earlier
   * into `assembled` when there are many.
   */
  private single: Uint8Array | null = null
  private readonly pieces: Uint8Array[] = []
  private assembled: Buffer | null = null
  private assembledSize = 0
  private size = 0
  private firstFrame = false
  private closeSent = false
  private ended: Error | null = null

  /** new DataReader(socket, head, handler, options) reads `head` first, then the socket; both are unmasked in place, not copied. */
  constructor(socket: Duplex, head: Uint8Array, handler: DataHandler, options: DataReaderOptions) {
    this.socket = socket
    this.side = options.side
    this.writer = options.writer ?? new BatchWriter(socket, { side: options.side })
    this.handler = handler
    this.maxMessageSize = options.limits?.maxMessageSize ?? defaultDecoderLimits.maxMessageSize
    const decompressor = options.decompressor
    this.inflation = decompressor === undefined ? null : new Inflation(decompressor, this.maxMessageSize)
    this.addInflated = decompressor === undefined ? null : (chunk) => {
      this.pieces.push(ownCopy(chunk))
      this.size += chunk.length
      if (this.pieces.length === maxPieces) this.gather(false)
    }
    // The reader is the decoder's handler itself: no object or closure per event kind.
    this.decoder = new FrameDecoder(options.side, this, { limits: options.limits, allowedRsv: options.allowedRsv ?? (decompressor === undefined ? 0 : Rsv1) })
    // No handler runs inside the constructor: `head` (which may hold whole messages, or a
    // close) is read on the next tick, before any later socket data.
    socket.pause()
    // The listeners are shared by every reader and find theirs on the socket: no closures, and
    // no scope (with `head` in it) kept alive per connection.
    ;(socket as ReaderSocket)[readerOf] = this
    socket.on('data', DataReader.onSocketData)
    socket.on('end', DataReader.onSocketEnd)
    socket.on('close', DataReader.onSocketClose)
    socket.on('error', DataReader.onSocketError)
    process.nextTick(DataReader.start, this, head)
  }

  /** start reads `head`, then lets the socket flow (on the tick after construction). */
  private static start(reader: DataReader, head: Uint8Array): void {
    if (head.length > 0) reader.push(head)
    reader.socket.resume()
  }

  // The socket's listeners, one for every reader: `this` is the socket (EventEmitter's way).
  private static onSocketData(this: ReaderSocket, chunk: Buffer): void {
    this[readerOf].push(chunk)
  }

  private static onSocketEnd(this: ReaderSocket): void {
    this[readerOf].peerEnded()
  }

  private static onSocketClose(this: ReaderSocket): void {
    this[readerOf].lost()
  }

  private static onSocketError(this: ReaderSocket, error: Error): void {
    this[readerOf].lost(error)
  }

  /** onDataFrame is the decoder's: a data frame starts (a DecoderHandler event; not for callers). @internal */
  onDataFrame(header: Header): void {
    if (header.opCode === OpCode.Continuation) {
      this.firstFrame = false
      return
    }
    this.firstFrame = true
    this.size = 0
    this.assembledSize = 0
    // Once the reader has ended, nothing more is decompressed: the decompressor may have
    // been closed in onClose (frames behind a close in the same chunk still decode).
    this.inflating = this.inflation !== null && (header.rsv & Rsv1) !== 0 && this.ended === null
    if (this.inflating) this.inflation!.start(header.opCode, this.addInflated!)
  }

  /** onData is the decoder's: the next piece of a data frame's payload (not for callers). @internal */
  onData(payload: Uint8Array, header: Header): void {
    if (!this.inflating) this.add(payload, header)
    else if (this.ended === null) this.inflation!.write(payload)
  }

  /** onMessageEnd is the decoder's: a message is complete (not for callers). @internal */
  onMessageEnd(opCode: number, compressed: boolean): void {
    if (this.inflating && this.ended === null) this.inflation!.end()
    const data = this.message()
    if (this.ended === null) this.handler.onMessage(opCode, data, compressed && !this.inflating)
  }

  /** onControl is the decoder's: a whole control frame (not for callers). @internal */
  onControl(opCode: number, payload: Uint8Array): void {
    if (this.ended === null) {
      // Called on the handler, as onMessage and onClose are: a class's method may use `this`.
      const handler = this.handler
      if (handler.onControl === undefined) DataReader.defaultControl(this, opCode, payload)
      else handler.onControl(this, opCode, payload)
    }
  }

  /** pong answers a ping (§5.5.2) through the writer; `payload` is copied ({@link PongGate}). */
  pong(payload: Uint8Array): void {
    if (this.pongsStopped) return
    this.pongs ??= new PongGate(this.socket, (bytes) => this.writer.writeControl(OpCode.Pong, bytes))
    this.pongs.pong(payload)
  }

  /**
   * close sends a close frame once (RFC 6455 §5.5.1) with `code` and `reason`; a server then
   * ends the TCP connection after it (§7.1.1), a client waits for the server to. Messages
   * that arrive after it are still read until the peer's close; see {@link closeGracefully}
   * for a close that waits a bounded time.
   */
  close(code?: number, reason?: string): void {
    if (this.closeSent) return
    this.writer.writeClose(code, reason) // throws on a bad code or reason, before anything is sent
    this.closeSent = true
    this.pongsStopped = true
    this.pongs?.stop()
    if (this.side === 'server') this.writer.end()
    else this.writer.flush()
  }

  /** defaultControl is {@link answerControl}: pings ponged, pongs ignored, a close answered with its code and ended on (§5.5). */
  static readonly defaultControl = answerControl

  /** end finishes the reader with `reason`: nothing more is read, and `onClose` is called once. */
  end(reason: Error): void {
    if (this.ended !== null) return
    this.ended = reason
    this.pongsStopped = true
    this.pongs?.stop()
    this.single = null
    this.pieces.length = 0
    this.assembled = null
    this.handler.onClose?.(reason)
  }

  /**
   * peerEnded: the peer sent its TCP FIN. After a close handshake that is the normal end; without
   * one it is an abnormal closure (§7.1.5). Either way this side finishes too, so a socket that
   * allows half-open connections (node:http's do) is not left open.
   */
  private peerEnded(): void {
    this.lost()
    this.writer.end()
  }

  /** lost ends the reader with an AbnormalClosureError (made only if it has not ended already, and without a stack). */
  private lost(cause?: Error): void {
    if (this.ended === null) this.end(withoutStack(() => new AbnormalClosureError(cause)))
  }

  private push(chunk: Uint8Array): void {
    if (this.ended !== null) return
    // Everything answered while this chunk is read leaves in one write when it is done.
    this.writer.cork()
    try {
      this.decoder.push(chunk)
    } catch (error) {
      // As MessageReader: the violation's close code (§7.1.7), or 1011 for a handler's bug.
      this.close(error instanceof WebSocketError ? error.closeCode : CloseCode.InternalError)
      this.writer.end()
      this.end(error as Error)
    } finally {
      this.writer.uncork()
    }
  }

  private add(payload: Uint8Array, header: Header): void {
    if (this.firstFrame && header.fin && payload.length === header.length) {
      this.single = payload
      return
    }
    this.pieces.push(payload)
    this.size += payload.length
    // A view keeps its whole chunk alive: a piece smaller than half of the memory it pins is
    // copied out at once, so a peer sending one-byte fragments in large chunks cannot make the
    // reader hold chunks instead of bytes.
    if (this.pieces.length === maxPieces || payload.length * 2 < payload.buffer.byteLength) this.gather(false)
  }

  /** message returns the current message's bytes: the one view, or the pieces joined once. */
  private message(): Uint8Array {
    const single = this.single
    if (single !== null) {
      this.single = null
      return single
    }
    const pieces = this.pieces
    if (this.assembled === null && pieces.length <= 1) {
      const only = pieces.length === 1 ? pieces[0] : empty
      pieces.length = 0
      return only
    }
    this.gather(true)
    const assembled = this.assembled!
    this.assembled = null
    return assembled.length === this.size ? assembled : assembled.subarray(0, this.size)
  }

  /**
   * gather moves the pieces held into the assembly buffer, which grows to the message's size
   * at its end (`final`), and by doubling before: a message in many tiny fragments is copied
   * a bounded number of times, and what is held stays within twice what arrived.
   */
  private gather(final: boolean): void {
    const size = this.size
    let buffer = this.assembled
    let at = this.assembledSize
    if (buffer === null || size > buffer.length) {
      const grown = Buffer.allocUnsafe(final ? size : Math.min(Math.max(size, (buffer?.length ?? 0) * 2), this.maxMessageSize))
      if (buffer !== null) grown.set(buffer.subarray(0, at))
      buffer = this.assembled = grown
    }
    for (const piece of this.pieces) {
      buffer.set(piece, at)
      at += piece.length
    }
    this.pieces.length = 0
    this.assembledSize = at
  }
}

/** readClientData starts a server-side {@link DataReader}: messages from a client (RFC 6455 §5.1, masked). */
export function readClientData(socket: Duplex, head: Uint8Array, handler: DataHandler, options: Omit<DataReaderOptions, 'side'> = {}): DataReader {
  return new DataReader(socket, head, handler, { ...options, side: 'server' })
}

/** readServerData starts a client-side {@link DataReader}: messages from a server (unmasked). */
export function readServerData(socket: Duplex, head: Uint8Array, handler: DataHandler, options: Omit<DataReaderOptions, 'side'> = {}): DataReader {
  return new DataReader(socket, head, handler, { ...options, side: 'client' })
}
