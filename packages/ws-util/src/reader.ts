import type { Duplex } from 'node:stream'
import { Readable } from 'node:stream'
import { CloseCode, compileFrame, encodeCloseBody, maskFrame, newFrame, OpCode, Rsv1, type Side, WebSocketError } from '@ws-toolkit/ws-core'
import { Inflation, type MessageDecompressor, ownCopy } from './compression.js'
import { answerControl, PongGate } from './control.js'
import { type DecoderLimits, defaultDecoderLimits, FrameDecoder } from './decoder.js'
import { AbnormalClosureError } from './errors.js'
import { withoutStack } from './quiet-error.js'

/** Message is one incoming data message: its opcode, RSV1 (compressed), and its payload as a stream. */
export interface Message {
  /** opCode is the message's opcode, OpCode.Text or OpCode.Binary (RFC 6455 §5.6). */
  opCode: number
  /** RSV1 was set (RFC 7692 §6) and the payload is still compressed: never with a `decompressor`. */
  compressed: boolean
  /**
   * The payload, piece by piece as frames arrive: a `Readable` and an async iterable of
   * `Uint8Array`. Pieces are views of the socket's chunks (Node allocates a new one per read),
   * unmasked in place, not copies; with a `decompressor`, a compressed message's pieces are
   * its decompressed output, copied.
   */
  stream: Readable
}

/**
 * ControlHandler decides what to do with a control frame (RFC 6455 §5.5); `payload` is valid
 * during the call. The default, {@link MessageReader.defaultControl}, answers a ping with a
 * pong, ignores pongs, and answers a close with a close of the same code.
 */
export type ControlHandler = (reader: MessageReader, opCode: number, payload: Uint8Array) => void

/** MessageReaderOptions configures a {@link MessageReader}. */
export interface MessageReaderOptions {
  /** side is this endpoint: a server requires masked frames, a client unmasked ones (RFC 6455 §5.1). */
  side: Side
  /** limits bound frames, messages and fragments (RFC 6455 §10.4); unset ones take {@link defaultDecoderLimits}. */
  limits?: Partial<DecoderLimits> | undefined
  /** RSV bits the negotiated extensions use (RFC 6455 §5.2): RSV1 by default with a decompressor, else none. */
  allowedRsv?: number | undefined
  /** onControl handles control frames (RFC 6455 §5.5); default {@link MessageReader.defaultControl}. */
  onControl?: ControlHandler | undefined
  /**
   * The negotiated compression's receiving half (RFC 7692: a ws-flate `MessageInflater`):
   * compressed messages stream out decompressed, the message limit applying to the
   * decompressed size.
   */
  decompressor?: MessageDecompressor | undefined
}

/**
 * MessageReader reads messages from a socket after the handshake, starting with the `head`
 * bytes the handshake handed back. `next()` resolves with each data message as soon as its
 * first frame arrives; its payload streams as more frames come, and the socket is paused
 * while the consumer falls behind (backpressure). Calling `next()` before a message is read
 * to its end discards the rest of it.
 *
 * The connection ends in one of three ways, each a rejection of `next()` and an error on an
 * unfinished message stream: the peer's close ({@link CloseError}, after the default handler
 * answered it), a protocol violation (the ws-core error; a close with its close code was sent
 * and the socket ended; an error thrown by a control handler closes with 1011 the same way),
 * or the socket closing or failing without a close frame
 * ({@link AbnormalClosureError}). Messages nobody has asked for yet pause the socket, so a
 * peer cannot queue up more than one socket chunk's worth of them.
 */
export class MessageReader {
  /** socket is the connection's socket, read by this reader from construction on. */
  readonly socket: Duplex
  private readonly side: Side
  private readonly decoder: FrameDecoder
  private readonly onControl: ControlHandler
  /** The message being received; `handedOut` is the one `next()` last returned. */
  private current: Message | null = null
  private handedOut: Message | null = null
  private discarding = false
  private readonly ready: Message[] = []
  private waiting: { resolve: (m: Message) => void; reject: (e: unknown) => void } | null = null
  private ended: unknown = null
  private closeSent = false
  private readonly pongs: PongGate
  private readonly inflation: Inflation | null
  /** The current message is compressed and being decompressed. */
  private inflating = false
  /** The decompressor's output is valid during the call only: the stream gets copies. */
  private readonly pushCopy = (chunk: Uint8Array): void => this.pushPiece(ownCopy(chunk))
  private readonly pushPiece = (piece: Uint8Array): void => {
    if (this.discarding || this.current === null || this.ended !== null) return
    if (!this.current.stream.push(piece)) this.socket.pause()
  }

  /** new MessageReader(socket, head, options) reads `head` first, then the socket; both are unmasked in place, not copied. */
  constructor(socket: Duplex, head: Uint8Array, options: MessageReaderOptions) {
    this.socket = socket
    this.side = options.side
    this.onControl = options.onControl ?? MessageReader.defaultControl
    this.pongs = new PongGate(socket, (payload) => this.sendControl(OpCode.Pong, payload))
    const decompressor = options.decompressor
    this.inflation = decompressor === undefined ? null : new Inflation(decompressor, options.limits?.maxMessageSize ?? defaultDecoderLimits.maxMessageSize)
    this.decoder = new FrameDecoder(options.side, {
      onDataFrame: (header) => {
        if (header.opCode === OpCode.Continuation) return
        this.inflating = false
        // RFC 6455 §5.5.1: nothing follows a close; frames behind it in the same chunk are dropped.
        if (this.ended !== null) return
        const stream = new Readable({ read: () => this.socket.resume() })
        // The error that ends a stream early is also the reader's (next() rejects with it): a
        // stream nobody has attached to yet must not crash the process with it.
        stream.on('error', () => {})
        const compressed = (header.rsv & Rsv1) !== 0
        this.inflating = compressed && this.inflation !== null
        if (this.inflating) this.inflation!.start(header.opCode, this.pushCopy)
        this.current = { opCode: header.opCode, compressed: compressed && !this.inflating, stream }
        this.discarding = false
        this.deliver(this.current)
      },
      onData: (payload) => {
        if (this.inflating) this.inflation!.write(payload)
        else this.pushPiece(payload)
      },
      onMessageEnd: () => {
        if (this.inflating) this.inflation!.end()
        const message = this.current
        if (message === null) return
        if (!this.discarding) message.stream.push(null)
        this.current = null
      },
      onControl: (opCode, payload) => {
        if (this.ended === null) this.onControl(this, opCode, payload)
      },
    }, { limits: options.limits, allowedRsv: options.allowedRsv ?? (decompressor === undefined ? 0 : Rsv1) })
    socket.on('data', (chunk: Buffer) => this.push(chunk))
    // The peer's FIN: after a close handshake the normal end, without one an abnormal closure
    // (§7.1.5). This side finishes too, so a half-open socket (node:http's) is not left open.
    socket.on('end', () => {
      this.lost()
      socket.end()
    })
    socket.on('close', () => this.lost())
    socket.on('error', (error) => this.lost(error))
    if (head.length > 0) this.push(head)
    socket.resume()
  }

  /**
   * next resolves with the next data message. If the message it last returned is still
   * arriving, the rest of that one is discarded.
   */
  next(): Promise<Message> {
    if (this.handedOut !== null && this.handedOut === this.current) {
      this.discarding = true
      this.current.stream.destroy()
      this.socket.resume()
    }
    const message = this.ready.shift()
    if (message !== undefined) {
      if (this.ready.length === 0) this.socket.resume()
      this.handedOut = message
      return Promise.resolve(message)
    }
    if (this.ended !== null) return Promise.reject(this.ended)
    // The last message may have ended with the socket paused for it (its stream was full, and
    // a stream that has ended never asks for more): the next one must be read.
    this.socket.resume()
    return new Promise((resolve, reject) => (this.waiting = { resolve, reject }))
  }

  /** sendControl writes a control frame (masked on the client side, RFC 6455 §5.1); `payload` is copied. */
  sendControl(opCode: number, payload: Uint8Array): void {
    const frame = newFrame(opCode, true, payload)
    this.socket.write(compileFrame(this.side === 'client' ? maskFrame(frame) : frame))
  }

  /**
   * pong answers a ping (RFC 6455 §5.5.2); `payload` is copied. While the socket is backed up
   * only the latest ping's pong is kept, and sent on `drain` ({@link PongGate}).
   */
  pong(payload: Uint8Array): void {
    this.pongs.pong(payload)
  }

  /**
   * close sends a close frame once (RFC 6455 §5.5.1) with `code` and `reason`; a server then
   * ends the TCP connection (§7.1.1), a client waits for the server to.
   */
  close(code?: number, reason?: string): void {
    if (this.closeSent) return
    const body = encodeCloseBody(code, reason) // throws on a bad code or reason, before anything is sent
    this.closeSent = true
    this.pongs.stop()
    this.sendControl(OpCode.Close, body)
    if (this.side === 'server') this.socket.end()
  }

  /** defaultControl is {@link answerControl}: pings ponged, pongs ignored, a close answered with its code and ended on (§5.5). */
  static readonly defaultControl = answerControl

  /** lost ends the reader with an AbnormalClosureError (made only if it has not ended already, and without a stack). */
  private lost(cause?: Error): void {
    if (this.ended === null) this.end(withoutStack(() => new AbnormalClosureError(cause)))
  }

  /** end finishes the reader with `reason`: pending and later `next()` calls reject with it. */
  end(reason: unknown): void {
    if (this.ended !== null) return
    this.ended = reason
    // Nothing more is decompressed: the decompressor may be closed once the reader has ended.
    this.inflating = false
    this.pongs.stop()
    if (this.current !== null && !this.current.stream.readableEnded) this.current.stream.destroy(reason as Error)
    this.waiting?.reject(reason)
    this.waiting = null
  }

  private push(chunk: Uint8Array): void {
    if (this.ended !== null) return
    try {
      this.decoder.push(chunk)
    } catch (error) {
      // A protocol violation fails the connection with its code (§7.1.7); anything else is a
      // bug in a handler, which fails this connection only, as an internal error (1011).
      this.close(error instanceof WebSocketError ? error.closeCode : CloseCode.InternalError)
      this.socket.end()
      this.end(error)
    }
  }

  private deliver(message: Message): void {
    if (this.waiting !== null) {
      this.handedOut = message
      this.waiting.resolve(message)
      this.waiting = null
    } else {
      this.ready.push(message)
      this.socket.pause()
    }
  }
}
