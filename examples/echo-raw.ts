// Echo server with ws-core only, over a raw net.Server: the handshake and the frame loop are
// written out here, for arbitrary chunks. Upgrader.upgrade parses the request in place;
// readHeader, checkHeader and cipher read frames where they lie; writeHeader puts the answer's
// header in front of its payload for one socket write. Every frame is echoed as it arrives
// (fragments as fragments); pings are answered, closes echoed, violations failed with their
// close code, text checked as UTF-8 at the first bad byte. Stopping on Ctrl-C or SIGTERM
// (closes with 1001 to every peer) is ws-util's ConnectionSet and shutdown, through the
// examples' shared lib/shutdown.ts, and the heartbeat that closes a peer that stops answering
// pings (--ping-interval, --ping-timeout) is ws-util's startHeartbeat, through
// lib/heartbeat.ts: the only ws-util this program runs. A request not complete within 5 s, as
// in the other examples, is cut: half-sent requests hold no socket for good.
//
//   pnpm exec tsx examples/echo-raw.ts --port 8080 [--ping-interval MS] [--ping-timeout MS]
import { createServer, type Socket } from 'node:net'
import {
  advanceState, checkHeader, cipher, CloseCode, encodeCloseBody, type Header, headerSize, newHeader, newProtocolState, OpCode,
  parseCloseBody, readHeader, Upgrader, Utf8Validator, WebSocketError, writeHeader,
} from '@ws-toolkit/ws-core'
import { ConnectionSet } from '@ws-toolkit/ws-util'
import { parseCommand, portFlag } from './lib/args.ts'
import { heartbeatFlags, heartbeatSettings, keepAlive, pongReceived } from './lib/heartbeat.ts'
import { listen } from './lib/server.ts'
import { stopOnSignals } from './lib/shutdown.ts'

const { values } = parseCommand({
  summary: 'echo server written with ws-core only: the handshake and the frame loop by hand',
  flags: { port: portFlag(8080), ...heartbeatFlags },
})
const { port } = values
const heartbeatEvery = heartbeatSettings(values)
const noPayload = new Uint8Array(0)
const connections = new ConnectionSet()
const upgrader = new Upgrader()
/** How long a peer has to send its whole request, as the other examples allow (lib/server.ts). */
const handshakeTimeoutMs = 5000
/** Frames are echoed whole, so one frame is the most this server buffers per connection. */
const maxFramePayload = 16 * 1024 * 1024

/**
 * Chunks gathers socket chunks and joins them only when asked, so that a frame or a request
 * arriving in many chunks is copied once, not once per chunk (which is quadratic).
 */
class Chunks {
  private list: Uint8Array[] = []
  length = 0
  add(chunk: Uint8Array): void {
    this.list.push(chunk)
    this.length += chunk.length
  }
  /** join returns every byte gathered as one buffer, which replaces the list. */
  join(): Uint8Array {
    const joined = this.list.length === 1 ? this.list[0] : Buffer.concat(this.list)
    this.list = [joined]
    return joined
  }
  /** keep drops everything before `offset` of the joined bytes. */
  keep(joined: Uint8Array, offset: number): void {
    this.list = offset === joined.length ? [] : [joined.subarray(offset)]
    this.length = joined.length - offset
  }
}

/** send writes one unmasked frame (a server never masks, RFC 6455 §5.1): header and payload in one buffer. */
function send(socket: Socket, opCode: number, payload: Uint8Array, fin = true): void {
  const header: Header = { fin, rsv: 0, opCode, masked: false, mask: 0, length: payload.length }
  const size = headerSize(header)
  const frame = Buffer.allocUnsafe(size + payload.length)
  writeHeader(frame, 0, header)
  frame.set(payload, size)
  socket.write(frame)
}

/** serve echoes frames on `socket` until a close; what it returns sends this side's close (stopping). */
function serve(socket: Socket, head: Uint8Array): { socket: Socket; close(code?: number, reason?: string): void } {
  const state = newProtocolState('server')
  const header = newHeader()
  const utf8 = new Utf8Validator()
  let text = false
  const pending = new Chunks()
  if (head.length > 0) pending.add(head)
  // Bytes needed before the loop can take its next step: a whole frame once its header is read.
  let needed = 0
  let done = false
  const close = (code?: number, reason?: string) => {
    if (done) return
    done = true
    send(socket, OpCode.Close, encodeCloseBody(code, reason))
    socket.end() // the peer's close, if it comes, is read no more: TCP's close ends it
  }
  const connection = { socket, close }
  const consume = () => {
    if (pending.length < needed) return
    const bytes = pending.join()
    let offset = 0
    needed = 0
    while (!done) {
      try {
        const size = readHeader(bytes, offset, header)
        if (size === 0) break
        checkHeader(header, state)
        if (header.length > maxFramePayload) return close(CloseCode.MessageTooBig)
        if (bytes.length - offset - size < header.length) {
          needed = size + header.length // counted from the frame's start, where the kept tail begins
          break // wait for the whole frame
        }
        advanceState(state, header)
        const payload = bytes.subarray(offset + size, offset + size + header.length)
        cipher(payload, header.mask, 0)
        offset += size + header.length
        if (header.opCode === OpCode.Ping) {
          send(socket, OpCode.Pong, payload)
        } else if (header.opCode === OpCode.Close) {
          const body = parseCloseBody(payload)
          return close(body.code === CloseCode.NoStatusReceived ? undefined : body.code)
        } else if (header.opCode === OpCode.Pong) {
          pongReceived(connection)
        } else {
          if (header.opCode !== OpCode.Continuation) text = header.opCode === OpCode.Text
          if (text && (utf8.write(payload) !== -1 || (header.fin && !utf8.end()))) {
            utf8.reset()
            return close(CloseCode.InvalidPayloadData)
          }
          send(socket, header.opCode, payload, header.fin)
        }
      } catch (error) {
        if (error instanceof WebSocketError) return close(error.closeCode)
        throw error
      }
    }
    // Keep only the unread tail; the next chunks join it.
    pending.keep(bytes, offset)
  }
  // Backpressure: while the peer does not read our answers, stop reading its frames, so
  // neither side's bytes pile up in this process.
  const resume = () => socket.resume()
  socket.on('data', (chunk: Buffer) => {
    pending.add(chunk)
    consume()
    if (socket.writableNeedDrain) {
      socket.pause()
      socket.once('drain', resume)
    }
  })
  consume()
  // Stopped when the socket closes; a ping is a whole frame between two of the echo's frames.
  keepAlive(connection, () => send(socket, OpCode.Ping, noPayload), heartbeatEvery)
  return connection
}

const server = createServer((socket) => {
  socket.on('error', () => socket.destroy())
  // A peer that sends half a request would hold this socket for good: it has until the
  // timer fires to complete its handshake (or, refused, to read the answer and close).
  const timer = setTimeout(() => socket.destroy(), handshakeTimeoutMs)
  const stopTimer = () => clearTimeout(timer)
  socket.once('close', stopTimer)
  const request = new Chunks()
  let parseAt = 0
  const onRequest = (chunk: Buffer) => {
    request.add(chunk)
    // A head ends in a line feed: parse when one arrives (or the bytes doubled, for limits).
    if (chunk.indexOf(0x0a) === -1 && request.length < parseAt) return
    parseAt = 2 * request.length
    const bytes = request.join()
    const result = upgrader.upgrade(bytes, 0)
    if (result.kind === 'incomplete') return // the upgrader refuses a request over its limits
    socket.off('data', onRequest)
    if (result.kind === 'rejected') {
      socket.end(result.response)
      return
    }
    stopTimer() // no timer stays with an open connection
    socket.off('close', stopTimer)
    socket.write(result.response)
    connections.add(serve(socket, bytes.subarray(result.end)))
  }
  socket.on('data', onRequest)
})

stopOnSignals(server, connections)
listen(server, port, (actual) => `echo (ws-core only) at ws://127.0.0.1:${actual}/`)
