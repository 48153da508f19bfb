// The echo loop shared by echo.ts and http-upgrade.ts, on ws-util's event-loop path: a
// DataReader hands over each whole message (a view of the socket's chunk when it arrived in
// one piece) and a BatchWriter sends the answers of one tick in one socket write. No streams,
// no promises per message. While the peer does not read, the socket is paused, so memory
// stays bounded. With a compressor and a decompressor (deflate-echo.ts), messages are
// decompressed as they arrive and compressed as they are written.
import type { Duplex } from 'node:stream'
import { BatchWriter, type DataReader, type MessageCompressor, type MessageDecompressor, readClientData } from '@ws-toolkit/ws-util'

export interface EchoOptions {
  compressor?: MessageCompressor | undefined
  decompressor?: MessageDecompressor | undefined
  /** The connection ended (see DataHandler.onClose), with how many messages it echoed. */
  onClose?(reason: Error, messages: number): void
}

/** echoMessages echoes every message on `socket`; the reader it returns can close the connection. */
export function echoMessages(socket: Duplex, head: Uint8Array, options: EchoOptions = {}): DataReader {
  const writer = new BatchWriter(socket, { side: 'server', compressor: options.compressor })
  const resume = () => socket.resume()
  let messages = 0
  return readClientData(socket, head, {
    onMessage(opCode, data) {
      messages++
      if (!writer.writeMessage(opCode, data) && !socket.isPaused()) {
        socket.pause()
        socket.once('drain', resume)
      }
    },
    onClose: (reason) => options.onClose?.(reason, messages),
  }, { writer, decompressor: options.decompressor })
}
