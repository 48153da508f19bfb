// Echo server with ws-core only, over a raw net.Server: the handshake and the frame loop are
// written out here, for arbitrary chunks. Upgrader.upgrade parses the request in place;
// readHeader, checkHeader and cipher read frames where they lie; writeHeader puts the answer's
// header in front of its payload for one socket write. Every frame is echoed as it arrives
// (fragments as fragments); pings are answered, closes echoed, violations failed with their
// close code, text checked as UTF-8 at the first bad byte.
//
//   pnpm exec tsx examples/echo-raw.ts --port 8080
import { createServer, type Socket } from 'node:net'
import {
  advanceState, checkHeader, cipher, CloseCode, encodeCloseBody, type Header, headerSize, newHeader, newProtocolState, OpCode,
  parseCloseBody, readHeader, Upgrader, Utf8Validator, WebSocketError, writeHeader,
} from '@ws-toolkit/ws-core'
import { exampleArgs } from './lib/args.js'

const { port } = exampleArgs(8080)
const upgrader = new Upgrader()
/** Frames are echoed whole, so one frame is the most this server buffers per connection. */
const maxFramePayload = 16 * 1024 * 1024

/** send writes one unmasked frame (a server never masks, RFC 6455 §5.1): header and payload in one buffer. */
function send(socket: Socket, opCode: number, payload: Uint8Array, fin = true): void {
  const header: Header = { fin, rsv: 0, opCode, masked: false, mask: 0, length: payload.length }
  const size = headerSize(header)
  const frame = Buffer.allocUnsafe(size + payload.length)
  writeHeader(frame, 0, header)
  frame.set(payload, size)
  socket.write(frame)
}

function serve(socket: Socket, head: Uint8Array): void {
  const state = newProtocolState('server')
  const header = newHeader()
  const utf8 = new Utf8Validator()
  let text = false
  let pending: Uint8Array = head
  let done = false
  const close = (code?: number) => {
    done = true
    send(socket, OpCode.Close, encodeCloseBody(code))
    socket.end()
  }
  const consume = () => {
    let offset = 0
    while (!done) {
      try {
        const size = readHeader(pending, offset, header)
        if (size === 0) break
        checkHeader(header, state)
        if (header.length > maxFramePayload) return close(CloseCode.MessageTooBig)
        if (pending.length - offset - size < header.length) break // wait for the whole frame
        advanceState(state, header)
        const payload = pending.subarray(offset + size, offset + size + header.length)
        cipher(payload, header.mask, 0)
        offset += size + header.length
        if (header.opCode === OpCode.Ping) {
          send(socket, OpCode.Pong, payload)
        } else if (header.opCode === OpCode.Close) {
          const body = parseCloseBody(payload)
          return close(body.code === CloseCode.NoStatusReceived ? undefined : body.code)
        } else if (header.opCode !== OpCode.Pong) {
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
    // Keep only the unread tail; the next chunk joins it.
    pending = pending.subarray(offset)
  }
  socket.on('data', (chunk: Buffer) => {
    pending = pending.length === 0 ? chunk : Buffer.concat([pending, chunk])
    consume()
  })
  consume()
}

const server = createServer((socket) => {
  socket.on('error', () => socket.destroy())
  let request: Uint8Array = Buffer.alloc(0)
  const onRequest = (chunk: Buffer) => {
    request = request.length === 0 ? chunk : Buffer.concat([request, chunk])
    const result = upgrader.upgrade(request, 0)
    if (result.kind === 'incomplete') return // the upgrader refuses a request over its limits
    socket.off('data', onRequest)
    if (result.kind === 'rejected') {
      socket.end(result.response)
      return
    }
    socket.write(result.response)
    serve(socket, request.subarray(result.end))
  }
  socket.on('data', onRequest)
})

server.listen(port, '127.0.0.1', () => {
  const address = server.address()
  console.log(`listening on 127.0.0.1:${typeof address === 'object' && address ? address.port : port}`)
})
