// The echo our client agents run on each connection, over TCP (toolkit-client.ts) or as an
// HTTP/2 stream (toolkit-h2-client.ts): a DataReader for whole messages, a BatchWriter for the
// answers, permessage-deflate on the given engine when the server accepted the offer.
import type { Duplex } from 'node:stream'
import type { Extension } from '@ws-toolkit/ws-core'
import { acceptResponse, type DeflateEngine, PerMessageDeflate } from '@ws-toolkit/ws-flate'
import { BatchWriter, type Dialed, readServerData } from '@ws-toolkit/ws-util'

/** echoConnection echoes every message on `dialed`; it resolves when the connection ends, with the first text message. */
export function echoConnection(dialed: Dialed<Duplex>, offer: Extension, engine: DeflateEngine): Promise<string> {
  const deflate = dialed.extensions.length === 0 ? null : new PerMessageDeflate(acceptResponse(offer, dialed.extensions[0], { minWindowBits: engine.minWindowBits }), 'client', { engine })
  const writer = new BatchWriter(dialed.socket, { side: 'client', compressor: deflate?.deflater })
  let first: string | null = null
  return new Promise((resolve) => {
    dialed.socket.on('error', () => {})
    dialed.socket.on('close', () => resolve(first ?? ''))
    readServerData(dialed.socket, dialed.head, {
      onMessage(opCode, data) {
        first ??= Buffer.from(data).toString()
        writer.writeMessage(opCode, data)
      },
      onClose: () => deflate?.close(),
    }, { writer, decompressor: deflate?.inflater })
  })
}
