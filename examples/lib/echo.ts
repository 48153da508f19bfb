// The echo loop shared by echo.ts and http-upgrade.ts, on ws-util's event-loop path: a
// DataReader hands over each whole message (a view of the socket's chunk when it arrived in
// one piece) and a BatchWriter sends the answers of one tick in one socket write. No streams,
// no promises per message. While the peer does not read, the socket is paused, so memory
// stays bounded. With a compressor and a decompressor (deflate-echo.ts), messages are
// decompressed as they arrive and compressed as they are written. The handler is a class, not
// an object of closures: what a connection holds between messages is the least it can be.
// With heartbeat settings (lib/heartbeat.ts) each connection is pinged, its pongs routed to
// the heartbeat from the control handler, and a peer that stops answering is closed with 1001.
import type { Duplex } from 'node:stream'
import { OpCode } from '@ws-toolkit/ws-core'
import { BatchWriter, type DataHandler, DataReader, type MessageCompressor, type MessageDecompressor, readClientData } from '@ws-toolkit/ws-util'
import { type HeartbeatSettings, keepAlive, pongReceived } from './heartbeat.ts'

export interface EchoOptions {
  compressor?: MessageCompressor | undefined
  decompressor?: MessageDecompressor | undefined
  /** Ping every so often and close a peer that stops answering (lib/heartbeat.ts); none when null or absent. */
  heartbeat?: HeartbeatSettings | null | undefined
  /** The connection ended (see DataHandler.onClose), with how many messages it echoed. */
  onClose?(reason: Error, messages: number): void
}

/**
 * Echo is one connection's handler: its methods are on the prototype, so a connection costs
 * this one object (no closures, no scope kept alive per connection).
 */
class Echo implements DataHandler {
  messages = 0
  private readonly socket: Duplex
  private readonly writer: BatchWriter
  private readonly onEnd: EchoOptions['onClose']

  constructor(socket: Duplex, writer: BatchWriter, onEnd: EchoOptions['onClose']) {
    this.socket = socket
    this.writer = writer
    this.onEnd = onEnd
  }

  onMessage(opCode: number, data: Uint8Array): void {
    this.messages++
    const socket = this.socket
    if (!this.writer.writeMessage(opCode, data) && !socket.isPaused()) {
      socket.pause()
      socket.once('drain', resume)
    }
  }

  /** onControl routes pongs to the heartbeat, then answers pings and closes as the reader would. */
  onControl(reader: DataReader, opCode: number, payload: Uint8Array): void {
    if (opCode === OpCode.Pong) pongReceived(reader)
    DataReader.defaultControl(reader, opCode, payload)
  }

  onClose(reason: Error): void {
    this.onEnd?.(reason, this.messages)
  }
}

/** resume is the one 'drain' listener every paused socket shares (it runs with the socket as `this`). */
function resume(this: Duplex): void {
  this.resume()
}

/** echoMessages echoes every message on `socket`; the reader it returns can close the connection. */
export function echoMessages(socket: Duplex, head: Uint8Array, options: EchoOptions = {}): DataReader {
  const writer = new BatchWriter(socket, { side: 'server', compressor: options.compressor })
  const reader = readClientData(socket, head, new Echo(socket, writer, options.onClose), { writer, decompressor: options.decompressor })
  if (options.heartbeat) keepAlive(reader, () => writer.writeControl(OpCode.Ping, noPayload), options.heartbeat)
  return reader
}

/** The payload of every ping: none. */
const noPayload = new Uint8Array(0)
