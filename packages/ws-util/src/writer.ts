import { Writable } from 'node:stream'
import { type Header, headerSize, MaxHeaderSize, newMask, OpCode, Rsv1, type Side, writeHeader } from '@ws-toolkit/ws-core'
import type { MessageCompressor } from './compression.js'
import { simdCipher } from './simd-cipher.js'

/** MessageWriterOptions configures a {@link MessageWriter}. */
export interface MessageWriterOptions {
  /** This endpoint: a client masks every frame with a fresh key (RFC 6455 §5.1, §5.3). */
  side: Side
  /** The message's opcode: OpCode.Binary (default) or OpCode.Text (§5.6). */
  opCode?: number | undefined
  /** Payload bytes per frame; the message is fragmented when it is longer. Default 16 KiB. */
  frameSize?: number | undefined
  /**
   * The negotiated compression's sending half (RFC 7692: a ws-flate `MessageDeflater`): the
   * message is compressed as it streams, RSV1 on its first frame only (§6.1). A connection's
   * messages must be compressed in the order they are sent.
   */
  compressor?: MessageCompressor | undefined
}

/**
 * MessageWriter is a `Writable` that sends one message to `socket` (RFC 6455 §5.4): bytes
 * written to it gather in a buffer with the header's space reserved in front, so that header
 * and payload leave in one socket write. When the buffer fills it sends a frame without FIN
 * (the first with the message's opcode, then continuations); `end()` sends the rest with FIN,
 * an empty final frame if need be.
 *
 * It never changes the caller's bytes: a client masks the copy in its own buffer. A server
 * writing a chunk of at least `frameSize` with nothing buffered sends it as its own frame
 * without copying it (header and chunk in one corked write). It keeps at most one frame in
 * flight: the next one waits for the socket to take the last, so a peer that stops reading
 * stops the writer (its `write()` returns false) instead of growing memory. Its buffer is
 * reused once `socket.write`'s callback fires, which for `net.Socket` and `tls.TLSSocket`
 * means the bytes were handed to the kernel or encrypted; a stream that queues chunk objects
 * (a PassThrough) would see them change.
 */
export class MessageWriter extends Writable {
  private readonly socket: Writable
  private readonly masked: boolean
  private readonly opCode: number
  private readonly frameSize: number
  private readonly buffer: Uint8Array
  private readonly compressor: MessageCompressor | null
  private filled = 0
  private started = false
  /** The compressor holds part of this message: it must be reset if the message is abandoned. */
  private compressing = false
  private readonly header: Header = { fin: false, rsv: 0, opCode: 0, masked: false, mask: 0, length: 0 }

  /** new MessageWriter(socket, options) writes one message to `socket`; nothing is sent until the first frame fills or `end()` is called. */
  constructor(socket: Writable, options: MessageWriterOptions) {
    const { side, opCode = OpCode.Binary, frameSize = 16384, compressor = null } = options
    super({ highWaterMark: frameSize })
    if (opCode !== OpCode.Binary && opCode !== OpCode.Text) throw new RangeError('a message is text or binary')
    if (!(frameSize >= 1)) throw new RangeError(`invalid frameSize ${frameSize}`)
    this.socket = socket
    this.masked = side === 'client'
    this.opCode = opCode
    this.frameSize = frameSize
    this.buffer = new Uint8Array(MaxHeaderSize + this.frameSize)
    this.compressor = compressor
  }

  /** _write is Writable's hook for {@link MessageWriter.write}: call that, not this. @internal */
  override _write(chunk: Buffer, _encoding: BufferEncoding, callback: (error?: Error | null) => void): void {
    if (this.compressor === null) return this.frames(chunk, false, callback)
    this.compressing = true
    this.frames(this.compressor.write(chunk, false), true, callback)
  }

  /** _final is Writable's hook for {@link MessageWriter.end}: call that, not this. @internal */
  override _final(callback: (error?: Error | null) => void): void {
    if (this.compressor === null) return this.sendBuffered(true, callback)
    const rest = this.compressor.write(new Uint8Array(0), true)
    this.compressing = false
    this.frames(rest, true, (error) => {
      if (error) callback(error)
      else this.sendBuffered(true, callback)
    })
  }

  /**
   * A writer destroyed in the middle of a compressed message leaves its start in the
   * compressor: reset it, or the connection's next message would carry those bytes.
   * @internal
   */
  override _destroy(error: Error | null, callback: (error?: Error | null) => void): void {
    if (this.compressing) this.compressor!.reset?.()
    this.compressing = false
    callback(error)
  }

  /**
   * frames sends `chunk` as the message's next bytes, in frames of `frameSize`; a `borrowed`
   * chunk (a compressor's memory, valid until its next call) is always copied.
   */
  private frames(chunk: Uint8Array, borrowed: boolean, callback: (error?: Error | null) => void): void {
    let offset = 0
    const next = (error?: Error | null) => {
      if (error) return callback(error)
      if (offset === chunk.length) return callback()
      if (this.filled === 0 && !this.masked && !borrowed && chunk.length - offset >= this.frameSize) {
        // Large enough to be a frame of its own: the caller's bytes go out as they are.
        const piece = chunk.subarray(offset)
        offset = chunk.length
        return this.send(false, piece, next)
      }
      const take = Math.min(this.frameSize - this.filled, chunk.length - offset)
      this.buffer.set(chunk.subarray(offset, offset + take), MaxHeaderSize + this.filled)
      this.filled += take
      offset += take
      if (this.filled < this.frameSize) return next()
      this.sendBuffered(false, next)
    }
    next()
  }

  /** sendBuffered sends the buffered bytes as one frame, header written into the reserved space. */
  private sendBuffered(fin: boolean, callback: (error?: Error | null) => void): void {
    const header = this.nextHeader(fin, this.filled)
    const start = MaxHeaderSize - headerSize(header)
    writeHeader(this.buffer, start, header)
    const end = MaxHeaderSize + this.filled
    if (header.masked) simdCipher(this.buffer.subarray(MaxHeaderSize, end), header.mask, 0)
    this.filled = 0
    this.socket.write(this.buffer.subarray(start, end), callback)
  }

  /** send writes a header, then `payload` as it is (server side only: nothing to mask). */
  private send(fin: boolean, payload: Uint8Array, callback: (error?: Error | null) => void): void {
    const header = this.nextHeader(fin, payload.length)
    const head = new Uint8Array(headerSize(header))
    writeHeader(head, 0, header)
    this.socket.cork()
    this.socket.write(head)
    this.socket.write(payload, callback)
    this.socket.uncork()
  }

  private nextHeader(fin: boolean, length: number): Header {
    const header = this.header
    header.fin = fin
    header.opCode = this.started ? OpCode.Continuation : this.opCode
    header.rsv = this.started || this.compressor === null ? 0 : Rsv1
    header.masked = this.masked
    header.mask = this.masked ? newMask() : 0
    header.length = length
    this.started = true
    return header
  }
}
