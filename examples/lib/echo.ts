// The echo loop shared by echo.ts and http-upgrade.ts: each message read with ws-util's
// MessageReader is streamed straight back through a MessageWriter with the same opcode, so
// a 16 MiB message is never held whole.
import type { Duplex } from 'node:stream'
import { pipeline } from 'node:stream/promises'
import { MessageReader, MessageWriter } from '@ws-toolkit/ws-util'

export async function echoMessages(socket: Duplex, head: Uint8Array): Promise<void> {
  const reader = new MessageReader(socket, head, { side: 'server' })
  for (;;) {
    let message
    try {
      message = await reader.next()
    } catch {
      return // closed: by the peer (answered), by a protocol error (failed with its code), or lost
    }
    try {
      await pipeline(message.stream, new MessageWriter(socket, { side: 'server', opCode: message.opCode }))
    } catch {
      // The connection ended mid-message; the next next() says how.
    }
  }
}
