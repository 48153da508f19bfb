// Our client under test: an echo client on ws-util's event-loop path (dial, a DataReader for
// whole messages, a BatchWriter for the answers) with permessage-deflate on node:zlib (the
// engine that can keep to any window the server asks for). It walks a fuzzing server's cases
// the way Autobahn|Testsuite's clients do: /getCaseCount, then /runCase for each, echoing
// every message until the server closes, then /updateReports.
//
//   pnpm exec tsx src/agents/toolkit-client.ts ws://127.0.0.1:9001 [agent-name]
import { deflateOffer, acceptResponse, PerMessageDeflate } from '@ws-toolkit/ws-flate'
import { zlibEngine } from '@ws-toolkit/ws-flate/zlib'
import { BatchWriter, dial, readServerData } from '@ws-toolkit/ws-util'

const agent = process.argv[3] ?? 'ws-toolkit'
const base = process.argv[2] ?? 'ws://127.0.0.1:9001'
const offer = deflateOffer({ minWindowBits: zlibEngine.minWindowBits })

/** echo connects to `url` and echoes every message; it resolves when the connection ends, with the first text message. */
async function echo(url: string): Promise<string> {
  const dialed = await dial(url, { extensions: [offer], timeoutMs: 5000 })
  const deflate = dialed.extensions.length === 0 ? null : new PerMessageDeflate(acceptResponse(offer, dialed.extensions[0], { minWindowBits: zlibEngine.minWindowBits }), 'client', { engine: zlibEngine })
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

const count = Number(await echo(`${base}/getCaseCount`))
for (let n = 1; n <= count; n++) await echo(`${base}/runCase?case=${n}&agent=${agent}`)
await echo(`${base}/updateReports?agent=${agent}`)
