import type { Writable } from 'node:stream'
import { encodeCloseBody, type Header, headerSize, newHeader, newMask, OpCode, Rsv1, type Side, writeHeader } from '@ws-toolkit/ws-core'
import { type BufferPool, bufferPool } from './buffer-pool.js'
import type { MessageCompressor } from './compression.js'
import { simdCipher } from './simd-cipher.js'
import { writeFrameTo } from './write-message.js'

/** BatchWriterOptions configures a {@link BatchWriter}. */
export interface BatchWriterOptions {
  /** This endpoint: a client masks every frame with a fresh key (RFC 6455 §5.1, §5.3). */
  side: Side
  /**
   * Bytes gathered before they go out without waiting for the end of the tick; also the size
   * of the buffers it borrows (from a pool shared by every writer of that size). Payloads
   * too large to share a buffer are written on their own. Default 64 KiB.
   */
  bufferSize?: number | undefined
  /**
   * The negotiated compression's sending half (RFC 7692: a ws-flate `MessageDeflater`):
   * {@link BatchWriter.writeMessage} compresses through it (RSV1 set), in the order messages
   * are written, as context takeover needs. {@link BatchWriter.writeFrame} never compresses.
   */
  compressor?: MessageCompressor | undefined
}

/** How many frames {@link BatchWriter.write} holds by reference before it flushes (IOV_MAX on Linux: one writev). */
const maxHeld = 1024

/**
 * BatchWriter coalesces the frames written to it during one tick of the event loop into one
 * socket write (RFC 6455 §5.2 framing): `writeMessage` and `writeControl` copy a frame (header
 * and payload, masked on the client side with a fresh key) into its buffer, and the buffer
 * goes out once, when the current tick's synchronous work is done, or sooner when it fills.
 * Compiled frames given to {@link write} go with it uncopied, in the same corked write (one
 * `writev` on a `net.Socket`).
 * A server sending a payload too large for the buffer writes it without copying, header
 * first, after what was gathered before it; order on the wire is always the order of calls.
 *
 * Payloads passed to `writeMessage`, `writeControl` and `writeFrame` are copied before the call
 * returns (except that zero-copy path, where the caller must not change the payload until the
 * socket has taken it, as with `socket.write`), so callers may reuse them at once. Compiled
 * frames passed to {@link write} are held by reference, as `socket.write` holds them: they
 * must not change until the socket has taken them. The writer borrows its buffer from a pool
 * shared by every writer in the process (`BufferPool`), hands it to the socket, and gives it
 * back when the socket's write callback says the bytes were taken: an idle connection holds
 * no buffer, and on sockets that keep up no buffer is allocated per frame. At most two of a
 * writer's buffers wait in its socket; while both do (the socket is backed up) each flush
 * leaves as a copy of exactly its size, so the memory held is what was written; the methods
 * return `false` then, as `socket.write` does, and the caller should wait for the socket's
 * `drain` (nothing is lost). After {@link writeClose} or {@link end}, frames are dropped
 * (RFC 6455 §5.5.1: nothing follows a close).
 */
export class BatchWriter {
  /** socket is where the batched frames are written. */
  readonly socket: Writable
  private readonly masked: boolean
  private readonly bufferSize: number
  private readonly compressor: MessageCompressor | null
  /** Where buffers are borrowed from and given back to. */
  private readonly pool: BufferPool
  /** Buffers the socket has not called back for yet (at most two), oldest first: callbacks come in order. */
  private readonly inFlight: Buffer[] = []
  private active: Buffer | null = null
  private filled = 0
  /**
   * Frames from {@link write} held by reference (the caller's bytes), which go out before what
   * is gathered: the first in `held`, later ones in `heldMore` (made only when a tick holds
   * several), `heldBytes` in all. A frame is held only while nothing is gathered, so call order
   * is kept.
   */
  private held: Uint8Array | null = null
  private heldMore: Uint8Array[] | null = null
  private heldBytes = 0
  private scheduled = false
  private corked = 0
  private ending = false
  /** No more frames: a close was queued or the socket ended. */
  private frameless = false
  private readonly header: Header = newHeader()
  /** The socket's callback for a buffer it took: made at the first flush (an idle writer has none). */
  private written: ((error?: Error | null) => void) | null = null

  /** flushScheduled is the end of the tick's flush, for `process.nextTick` (no closure per writer). */
  private static flushScheduled(writer: BatchWriter): void {
    writer.scheduled = false
    writer.flush()
  }

  /** new BatchWriter(socket, options) borrows a buffer only when it has bytes to gather; `bufferSize` under 256 is a RangeError. */
  constructor(socket: Writable, options: BatchWriterOptions) {
    const { side, bufferSize = 64 * 1024, compressor = null } = options
    if (!(bufferSize >= 256)) throw new RangeError(`invalid bufferSize ${bufferSize}: at least 256 bytes`)
    this.socket = socket
    this.masked = side === 'client'
    this.bufferSize = bufferSize
    this.compressor = compressor
    this.pool = bufferPool(bufferSize)
  }

  /**
   * writeMessage queues a whole message of `opCode` (Text or Binary, §5.6) as one frame with
   * FIN set; `rsv` sets the RSV bits (RSV1 for a message compressed already, RFC 7692 §6).
   * With a `compressor` and no `rsv`, the message is compressed (unless the compressor
   * declines it, under its threshold) and sent with RSV1. Returns `false` when the socket is
   * backed up.
   */
  writeMessage(opCode: number, payload: Uint8Array, rsv = 0): boolean {
    if (this.compressor !== null && rsv === 0 && !this.frameless) {
      const compressed = this.compressor.compress(payload)
      if (compressed !== null) return this.frame(true, Rsv1, opCode, compressed, true)
    }
    return this.frame(true, rsv, opCode, payload, false)
  }

  /** writeControl queues a control frame (§5.5): ping or pong (see {@link writeClose}); `payload` at most 125 bytes. */
  writeControl(opCode: number, payload: Uint8Array): boolean {
    return this.frame(true, 0, opCode, payload, false)
  }

  /**
   * writeClose queues a close frame with `code` and `reason` (§5.5.1) and closes the writer
   * to frames: nothing may follow a close, so later writes are dropped (and return `true`:
   * there is nothing to wait for). It does not end the socket; see {@link end}. The body is
   * checked first (ws-core's encodeCloseBody): a bad code or reason throws and closes nothing.
   */
  writeClose(code?: number, reason?: string): void {
    const body = encodeCloseBody(code, reason)
    if (this.frameless) return
    this.frame(true, 0, OpCode.Close, body, false)
    this.frameless = true
  }

  /**
   * writeFrame queues one frame: FIN, RSV bits, opcode and payload as given, for fragmented
   * messages (§5.4). It does not check the sequence: see ws-core's checkHeader for the rules.
   */
  writeFrame(fin: boolean, rsv: number, opCode: number, payload: Uint8Array): boolean {
    return this.frame(fin, rsv, opCode, payload, false)
  }

  /**
   * frame queues one frame; a `borrowed` payload (our compressor's memory) is copied even when
   * too large for the buffer. A message compressed elsewhere (RSV1 given) resets our
   * compressor: the peer's window now holds bytes it never saw, so it must not refer back.
   */
  private frame(fin: boolean, rsv: number, opCode: number, payload: Uint8Array, borrowed: boolean): boolean {
    if (opCode >= OpCode.Close && (payload.length > 125 || !fin)) throw new RangeError('a control frame has FIN set and at most 125 bytes (RFC 6455 §5.5)')
    if (this.frameless) return true
    if (!borrowed && (rsv & Rsv1) !== 0 && opCode !== OpCode.Continuation) this.compressor?.reset?.()
    const header = this.header
    header.fin = fin
    header.rsv = rsv
    header.opCode = opCode
    header.masked = this.masked
    header.mask = this.masked ? newMask() : 0
    header.length = payload.length
    const size = headerSize(header)
    const total = size + payload.length
    if (total > this.bufferSize - this.filled) {
      this.flush()
      if (total > this.bufferSize) {
        writeFrameTo(this.socket, header, borrowed && !this.masked ? new Uint8Array(payload) : payload)
        return !this.socket.writableNeedDrain
      }
    }
    const buffer = this.active ?? this.take()
    writeHeader(buffer, this.filled, header)
    buffer.set(payload, this.filled + size)
    if (this.masked) simdCipher(buffer.subarray(this.filled + size, this.filled + total), header.mask, 0)
    this.filled += total
    this.schedule()
    return !this.socket.writableNeedDrain
  }

  /**
   * write queues bytes that already form whole frames, such as one compiled frame sent to many
   * sockets (see {@link broadcast}), by reference, as `socket.write` does: they must not change
   * until the socket has taken them. Frames written while nothing else is gathered are held as
   * they are and go to the socket themselves at the flush, several in one corked write (one
   * `writev` on a `net.Socket`; a flush every `bufferSize` bytes or 1,024 frames): a thousand
   * writers sharing one frame borrow no buffer and copy nothing. A frame that follows gathered
   * frames in the same tick is copied after them, when it fits; one larger than `bufferSize`
   * goes to the socket at once, after what waits, so that the result says whether it is backed up.
   */
  write(frame: Uint8Array): boolean {
    if (this.masked) throw new RangeError('write() sends bytes as they are: a client must mask every frame (RFC 6455 §5.3)')
    if (this.frameless) return true
    if (this.filled > 0) {
      if (frame.length <= this.bufferSize - this.filled) {
        const buffer = this.active!
        buffer.set(frame, this.filled)
        this.filled += frame.length
        return !this.socket.writableNeedDrain
      }
      this.flush()
    }
    if (frame.length > this.bufferSize) {
      // Too large to batch: after what waits, straight to the socket, which says at once whether it is backed up.
      this.flush()
      this.socket.write(frame)
      return !this.socket.writableNeedDrain
    }
    if (this.held !== null && (this.heldBytes + frame.length > this.bufferSize || this.heldMore?.length === maxHeld - 1)) this.flush()
    if (this.held === null) this.held = frame
    else (this.heldMore ??= []).push(frame)
    this.heldBytes += frame.length
    this.schedule()
    return !this.socket.writableNeedDrain
  }

  /**
   * cork holds what is written until the matching {@link uncork}, which writes it at once:
   * a caller that knows where its batch ends (a {@link DataReader} answering one socket chunk)
   * needs no flush scheduled for the end of the tick. Calls nest.
   */
  cork(): void {
    this.corked++
  }

  /** uncork ends a {@link cork}; the outermost one flushes what was gathered. */
  uncork(): void {
    if (this.corked === 0) return
    if (--this.corked === 0) this.flush()
  }

  /** writableLength is how many bytes wait: gathered or held here, and queued in the socket. */
  get writableLength(): number {
    return this.filled + this.heldBytes + this.socket.writableLength
  }

  /** flush writes what was held and gathered now, without waiting for the end of the tick. */
  flush(): void {
    const held = this.held
    if (held === null) return this.flushGathered()
    const more = this.heldMore
    this.held = null
    this.heldMore = null
    this.heldBytes = 0
    if (more === null && this.filled === 0) {
      this.socket.write(held)
      return
    }
    // Several pieces: the socket's cork makes them one writev, without copying them together.
    this.socket.cork()
    this.socket.write(held)
    if (more !== null) for (const frame of more) this.socket.write(frame)
    this.flushGathered()
    this.socket.uncork()
  }

  /** flushGathered writes the buffer's gathered bytes. */
  private flushGathered(): void {
    const buffer = this.active
    if (buffer === null || this.filled === 0) return
    const filled = this.filled
    this.filled = 0
    if (this.inFlight.length >= 2) {
      // Two buffers wait in the socket: it is backed up. This batch leaves as a copy of its
      // own size and the buffer goes back, so what the socket holds is what was written,
      // never a whole buffer per small flush.
      this.socket.write(Buffer.from(buffer.subarray(0, filled)))
      this.active = null
      this.pool.give(buffer)
      return
    }
    this.active = null
    this.inFlight.push(buffer)
    this.written ??= (error) => {
      const taken = this.inFlight.shift()!
      // A failed write may leave the bytes with the socket: that buffer is never lent again.
      if (!error) this.pool.give(taken)
    }
    this.socket.write(filled === buffer.length ? buffer : buffer.subarray(0, filled), this.written)
  }

  /**
   * closed reports whether the writer takes no more frames: a close frame was queued, or the
   * socket was ended. Later writes are dropped and return `true`, so a broadcast or a
   * heartbeat that reaches a closing connection does no harm (RFC 6455 §5.5.1).
   */
  get closed(): boolean {
    return this.frameless
  }

  /** end flushes what was gathered and then ends the socket (a TCP FIN after the last frame); the writer is closed. */
  end(): void {
    if (this.ending) return
    this.ending = true
    this.frameless = true
    this.flush()
    this.socket.end()
  }

  private take(): Buffer {
    this.active = this.pool.take()
    return this.active
  }

  private schedule(): void {
    if (this.scheduled || this.corked > 0) return
    this.scheduled = true
    process.nextTick(BatchWriter.flushScheduled, this)
  }
}
