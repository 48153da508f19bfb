// Our server under test over HTTP/2 (RFC 8441): an h2c server (node:http2, prior knowledge,
// SETTINGS_ENABLE_CONNECT_PROTOCOL) whose extended CONNECT streams ws-util's acceptHttp2Stream
// accepts, each then echoed by the loop examples/echo.ts and deflate-echo.ts run on a socket
// (a DataReader for whole messages, a BatchWriter answering a tick's messages in one write, the
// stream paused while the peer does not read), without their heartbeat. Without --engine it
// negotiates no compression, as echo.ts (sections 1-10); with it, permessage-deflate on that
// engine, as deflate-echo.ts (12, 13): fflate declines a server_max_window_bits under 15.
// A stream is the connection: the reader ends it (END_STREAM) after the closing handshake,
// where a TCP server closes its socket. Prints "listening on 127.0.0.1:N".
//
//   pnpm exec tsx src/agents/toolkit-h2-server.ts [--port N] [--engine fflate|zlib]
import { createServer, type IncomingHttpHeaders, type ServerHttp2Stream } from 'node:http2'
import type { Socket } from 'node:net'
import type { Duplex } from 'node:stream'
import { parseArgs } from 'node:util'
import { Upgrader } from '@ws-toolkit/ws-core'
import { agreementOf, deflateNegotiator, PerMessageDeflate } from '@ws-toolkit/ws-flate'
import { acceptHttp2Stream, BatchWriter, type DataHandler, readClientData } from '@ws-toolkit/ws-util'
import { engineNamed } from '../engines.js'

const { values } = parseArgs({ options: { port: { type: 'string', default: '0' }, engine: { type: 'string' } } })
const engine = values.engine === undefined ? null : engineNamed(values.engine)
const upgrader = new Upgrader(engine === null ? {} : { negotiate: deflateNegotiator({ minWindowBits: engine.minWindowBits }) })

/** Echo is one stream's handler: each message written back; a stream whose peer does not read is paused until it drains. */
class Echo implements DataHandler {
  constructor(private readonly socket: Duplex, private readonly writer: BatchWriter, private readonly onEnd: () => void) {}

  onMessage(opCode: number, data: Uint8Array): void {
    if (!this.writer.writeMessage(opCode, data) && !this.socket.isPaused()) {
      this.socket.pause()
      this.socket.once('drain', () => this.socket.resume())
    }
  }

  onClose(): void {
    this.onEnd()
  }
}

function onStream(stream: ServerHttp2Stream, _headers: IncomingHttpHeaders, _flags: number, rawHeaders: string[]): void {
  let accepted
  try {
    accepted = acceptHttp2Stream(stream, rawHeaders, upgrader)
  } catch {
    return // refused (answered) or reset
  }
  const agreement = accepted.extensions.length > 0 ? agreementOf(accepted.extensions[0]) : null
  const deflate = agreement === null || engine === null ? null : new PerMessageDeflate(agreement, 'server', { engine })
  const writer = new BatchWriter(accepted.socket, { side: 'server', compressor: deflate?.deflater })
  readClientData(accepted.socket, accepted.head, new Echo(accepted.socket, writer, () => deflate?.close()), { writer, decompressor: deflate?.inflater })
}

const server = createServer({ settings: { enableConnectProtocol: true } })
// Nagle off, as a WebSocket server's sockets usually are: the streams of a session share it.
server.on('connection', (socket: Socket) => socket.setNoDelay(true))
server.on('sessionError', () => {})
server.on('stream', onStream)
server.listen(Number(values.port), '127.0.0.1', () => {
  const address = server.address()
  console.log(`listening on 127.0.0.1:${typeof address === 'object' && address !== null ? address.port : values.port}`)
})
