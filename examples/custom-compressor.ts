// Plugging your own compressor into ws-flate: an engine is two small objects, a RawDeflater
// and a RawInflater (see DeflateEngine). The one in lib/one-shot-engine.ts is written on
// node:zlib's public one-shot API (deflateRawSync / inflateRawSync). Slower than the shipped engines (a zlib stream set up per message), but
// nothing in it is private to a runtime; ws-flate's differential fuzzer proves it beside them.
//
//   pnpm exec tsx examples/custom-compressor.ts --port 8080
import { Upgrader } from '@ws-toolkit/ws-core'
import { agreementOf, deflateNegotiator, PerMessageDeflate } from '@ws-toolkit/ws-flate'
import { ConnectionSet } from '@ws-toolkit/ws-util'
import { parseCommand, portFlag } from './lib/args.ts'
import { echoMessages } from './lib/echo.ts'
import { heartbeatFlags, heartbeatSettings } from './lib/heartbeat.ts'
import { oneShotEngine } from './lib/one-shot-engine.ts'
import { listen, webSocketServer } from './lib/server.ts'
import { stopOnSignals } from './lib/shutdown.ts'

const { values } = parseCommand({
  summary: 'echo server with permessage-deflate on a compression engine of its own (lib/one-shot-engine.ts)',
  flags: { port: portFlag(8080), ...heartbeatFlags },
})
const { port } = values
const heartbeat = heartbeatSettings(values)
const connections = new ConnectionSet()
const upgrader = new Upgrader({ negotiate: deflateNegotiator({ minWindowBits: oneShotEngine.minWindowBits }) })
const server = webSocketServer(upgrader, (socket, head, extensions) => {
  const agreement = extensions.length > 0 ? agreementOf(extensions[0]) : null
  const deflate = agreement === null ? null : new PerMessageDeflate(agreement, 'server', { engine: oneShotEngine, threshold: 0 })
  connections.add(echoMessages(socket, head, {
    compressor: deflate?.deflater,
    decompressor: deflate?.inflater,
    heartbeat,
    onClose: (reason, messages) => console.log(`closed (${reason.message}): ${messages} messages, ${socket.bytesRead} bytes in, ${socket.bytesWritten} bytes out`),
  }))
})
stopOnSignals(server, connections)
listen(server, port, (actual) => `echo with a custom compressor at ws://127.0.0.1:${actual}/`)
