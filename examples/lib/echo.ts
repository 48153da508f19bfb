// The echo loop shared by echo.ts and http-upgrade.ts, on ws-util's event-loop path: a
// DataReader hands over each whole message (a view of the socket's chunk when it arrived in
// one piece) and a BatchWriter sends the answers of one tick in one socket write. No streams,
// no promises per message. While the peer does not read, the socket is paused, so memory
// stays bounded.
import type { Duplex } from 'node:stream'
import { BatchWriter, readClientData } from '@ws-toolkit/ws-util'

export function echoMessages(socket: Duplex, head: Uint8Array): void {
  const writer = new BatchWriter(socket, { side: 'server' })
  const resume = () => socket.resume()
  readClientData(socket, head, {
    onMessage(opCode, data) {
      if (!writer.writeMessage(opCode, data) && !socket.isPaused()) {
        socket.pause()
        socket.once('drain', resume)
      }
    },
  }, { writer })
}
