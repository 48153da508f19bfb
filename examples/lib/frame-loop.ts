// A small, complete frame loop over ws-core for the examples: reads frames from a socket in
// any chunking, unmasks them in place, checks every header and text for UTF-8, answers pings,
// completes the close handshake, and fails the connection with the right close code.
import type { Duplex } from 'node:stream'
import {
  advanceState, checkHeader, cipher, CloseCode, encodeCloseBody, type Header, headerSize, newHeader, newMask,
  newProtocolState, OpCode, parseCloseBody, readHeader, type Side, Utf8Validator, WebSocketError, writeHeader,
} from '@ws-toolkit/ws-core'

/** The largest frame this loop buffers before handling it; larger frames fail with 1009. */
export const maxFramePayload = 16 * 1024 * 1024

/** Connection sends frames the way `side` must (a client masks, RFC 6455 §5.1). */
export class Connection {
  closed = false
  constructor(readonly socket: Duplex, readonly side: Side) {}

  /** send writes one frame, header and payload in one buffer; `payload` is not changed. */
  send(opCode: number, payload: Uint8Array, fin = true): void {
    const masked = this.side === 'client'
    const header: Header = { fin, rsv: 0, opCode, masked, mask: masked ? newMask() : 0, length: payload.length }
    const size = headerSize(header)
    const frame = Buffer.allocUnsafe(size + payload.length)
    writeHeader(frame, 0, header)
    frame.set(payload, size)
    if (masked) cipher(frame.subarray(size), header.mask, 0)
    this.socket.write(frame)
  }

  /** close starts or answers the close handshake (RFC 6455 §5.5.1, §7.1.2). */
  close(code?: number, reason?: string): void {
    if (this.closed) return
    this.closed = true
    this.send(OpCode.Close, encodeCloseBody(code, reason))
    // The server ends TCP first (§7.1.1); a client waits for the server to do so.
    if (this.side === 'server') this.socket.end()
  }
}

export interface FrameHandlers {
  /** A data frame (text, binary or continuation), unmasked; `payload` is valid during the call. */
  onData(connection: Connection, header: Header, payload: Uint8Array): void
  /** The peer's close, already answered. */
  onClose?(connection: Connection, code: number, reason: string): void
}

/** frameLoop runs `handlers` over the frames on `socket`, starting with the bytes in `head`. */
export function frameLoop(socket: Duplex, head: Uint8Array, side: Side, handlers: FrameHandlers): Connection {
  const connection = new Connection(socket, side)
  const state = newProtocolState(side)
  const header = newHeader()
  const utf8 = new Utf8Validator()
  let text = false
  let pending: Uint8Array = head
  // Reading goes on after we send a close, until the peer's close or a failure (§7.1.2).
  let finished = false
  const fail = (code: number, reason: string) => {
    finished = true
    connection.close(code, reason)
    socket.pause()
  }
  const consume = () => {
    let offset = 0
    while (!finished) {
      let size: number
      try {
        size = readHeader(pending, offset, header)
        if (size === 0) break
        checkHeader(header, state)
      } catch (error) {
        if (error instanceof WebSocketError) return fail(error.closeCode, error.code)
        throw error
      }
      if (header.length > maxFramePayload) return fail(CloseCode.MessageTooBig, 'frame too large')
      if (pending.length - offset - size < header.length) break
      advanceState(state, header)
      const payload = pending.subarray(offset + size, offset + size + header.length)
      cipher(payload, header.mask, 0)
      offset += size + header.length
      if (header.opCode === OpCode.Ping) {
        connection.send(OpCode.Pong, payload)
      } else if (header.opCode === OpCode.Close) {
        let body
        try {
          body = parseCloseBody(payload)
        } catch (error) {
          return fail((error as WebSocketError).closeCode, (error as WebSocketError).code)
        }
        const reason = new TextDecoder().decode(body.reason)
        finished = true
        if (connection.closed) socket.end()
        else connection.close(body.code === CloseCode.NoStatusReceived ? undefined : body.code)
        handlers.onClose?.(connection, body.code, reason)
        return
      } else if (header.opCode !== OpCode.Pong) {
        if (header.opCode !== OpCode.Continuation) text = header.opCode === OpCode.Text
        if (text && (utf8.write(payload) !== -1 || (header.fin && !utf8.end()))) {
          utf8.reset()
          return fail(CloseCode.InvalidPayloadData, 'invalid UTF-8')
        }
        handlers.onData(connection, header, payload)
      }
    }
    // Keep only the unread tail; the next chunk is appended to it.
    pending = pending.subarray(offset)
  }
  socket.on('data', (chunk: Buffer) => {
    pending = pending.length === 0 ? chunk : Buffer.concat([pending, chunk])
    consume()
  })
  socket.on('error', () => socket.destroy())
  consume()
  socket.resume()
  return connection
}
