// Echo server with permessage-deflate (RFC 7692). The Upgrader negotiates with ws-flate's
// deflateNegotiator; each connection that agreed gets a PerMessageDeflate made from the
// agreement, whose inflater the DataReader decompresses with and whose deflater the
// BatchWriter compresses with. Each closed connection prints what it cost on the wire.
//
//   pnpm exec tsx examples/deflate-echo.ts --port 8080 [--engine fflate|zlib] [--level 1-9] [--no-context-takeover] [--release-after MS]
//                                              [--ping-interval MS] [--ping-timeout MS]
//
// Without --engine it uses ws-flate's default engine: zlib on Node.js and Bun (their zlib, fast,
// and it keeps to any window from 9 bits), fflate elsewhere (Deno). `--engine zlib` where the
// zlib engine cannot work (Deno) prints why on one line and exits 1. fflate is portable JavaScript and
// compresses with a 32 KiB window only, so offers that ask the server for a smaller window are
// declined (the connection goes on uncompressed).
import { Upgrader } from '@ws-toolkit/ws-core'
import { agreementOf, type DeflateEngine, defaultEngine, deflateNegotiator, EngineUnavailableError, fflateEngine, PerMessageDeflate } from '@ws-toolkit/ws-flate'
import { zlibEngine } from '@ws-toolkit/ws-flate/zlib'
import { ConnectionSet } from '@ws-toolkit/ws-util'
import { parseCommand, portFlag } from './lib/args.ts'
import { echoMessages } from './lib/echo.ts'
import { heartbeatFlags, heartbeatSettings } from './lib/heartbeat.ts'
import { listen, webSocketServer } from './lib/server.ts'
import { stopOnSignals } from './lib/shutdown.ts'

const engines: Record<string, DeflateEngine> = { fflate: fflateEngine, zlib: zlibEngine }
const { values } = parseCommand({
  summary: 'echo server with permessage-deflate (RFC 7692); prints what each connection cost on the wire',
  flags: {
    port: portFlag(8080),
    engine: { kind: 'choice', choices: Object.keys(engines), help: `compression engine (default ${defaultEngine().name}, ws-flate's default here)` },
    // Level 6 by default, as zlib's; 1 compresses JSON about 20 % less for half the CPU.
    level: { kind: 'integer', min: 1, max: 9, help: 'compression level (default 6, as zlib\'s)' },
    'no-context-takeover': { kind: 'switch', help: 'agree to no context takeover both ways (each message compressed alone)' },
    // With context takeover each connection keeps its engines; an idle one can give them back.
    'release-after': { kind: 'integer', min: 1, max: 2 ** 31 - 1, help: 'release an idle connection\'s engines after this many ms (made again at its next message)' },
    ...heartbeatFlags,
  },
})
const { port, level, 'release-after': releaseAfter } = values
const engine = values.engine === undefined ? defaultEngine() : engines[values.engine]
try {
  // An engine that cannot work on this runtime (zlib on Deno) refuses its first compressor.
  engine.createDeflater({ windowBits: 15, keepContext: false }).close?.()
} catch (error) {
  if (!(error instanceof EngineUnavailableError)) throw error
  console.error(error.message)
  process.exit(1)
}
const noTakeover = values['no-context-takeover']
const heartbeat = heartbeatSettings(values)
const connections = new ConnectionSet()

const upgrader = new Upgrader({
  negotiate: deflateNegotiator({ minWindowBits: engine.minWindowBits, serverNoContextTakeover: noTakeover, clientNoContextTakeover: noTakeover }),
})

const server = webSocketServer(upgrader, (socket, head, extensions) => {
  // The upgrader accepted at most one permessage-deflate element: the agreement is in it.
  const agreement = extensions.length > 0 ? agreementOf(extensions[0]) : null
  const deflate = agreement === null ? null : new PerMessageDeflate(agreement, 'server', { engine, level, releaseAfter })
  connections.add(echoMessages(socket, head, {
    compressor: deflate?.deflater,
    decompressor: deflate?.inflater,
    heartbeat,
    onClose(reason, messages) {
      deflate?.close()
      const how = deflate === null ? 'uncompressed' : `compressed (${engine.name})`
      console.log(`closed (${reason.message}): ${messages} messages ${how}, ${socket.bytesRead} bytes in, ${socket.bytesWritten} bytes out`)
    },
  }))
})
stopOnSignals(server, connections)
listen(server, port, (actual) => `deflate echo (${engine.name}) at ws://127.0.0.1:${actual}/`)
