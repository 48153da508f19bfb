// Echo server with permessage-deflate (RFC 7692). The Upgrader negotiates with ws-flate's
// deflateNegotiator; each connection that agreed gets a PerMessageDeflate made from the
// agreement, whose inflater the DataReader decompresses with and whose deflater the
// BatchWriter compresses with. Each closed connection prints what it cost on the wire.
//
//   pnpm exec tsx examples/deflate-echo.ts --port 8080 [--engine fflate|zlib] [--level 1-9] [--no-context-takeover]
//
// Without --engine it uses ws-flate's default engine: zlib on Node.js (Node's zlib, fast, and it
// keeps to any window from 9 bits), fflate elsewhere. fflate is portable JavaScript and
// compresses with a 32 KiB window only, so offers that ask the server for a smaller window are
// declined (the connection goes on uncompressed).
import { parseArgs } from 'node:util'
import { Upgrader } from '@ws-toolkit/ws-core'
import { agreementOf, type DeflateEngine, defaultEngine, deflateNegotiator, fflateEngine, PerMessageDeflate } from '@ws-toolkit/ws-flate'
import { zlibEngine } from '@ws-toolkit/ws-flate/zlib'
import { echoMessages } from './lib/echo.js'
import { listen, webSocketServer } from './lib/server.js'

const { values } = parseArgs({
  options: { port: { type: 'string', default: '8080' }, engine: { type: 'string' }, level: { type: 'string' }, 'no-context-takeover': { type: 'boolean', default: false } },
})
const port = Number(values.port)
if (!Number.isInteger(port) || port < 0 || port > 65535) throw new TypeError(`invalid --port ${values.port}`)
const engines: Record<string, DeflateEngine> = { fflate: fflateEngine, zlib: zlibEngine }
const engine = values.engine === undefined ? defaultEngine() : engines[values.engine]
if (engine === undefined) throw new TypeError(`unknown --engine ${values.engine}: fflate or zlib`)
const noTakeover = values['no-context-takeover']
// Level 6 by default, as zlib's; 1 compresses JSON about 20 % less for half the CPU.
const level = values.level === undefined ? undefined : Number(values.level)
if (level !== undefined && !(Number.isInteger(level) && level >= 1 && level <= 9)) throw new TypeError(`invalid --level ${values.level}: 1 to 9`)

const upgrader = new Upgrader({
  negotiate: deflateNegotiator({ minWindowBits: engine.minWindowBits, serverNoContextTakeover: noTakeover, clientNoContextTakeover: noTakeover }),
})

const server = webSocketServer(upgrader, (socket, head, extensions) => {
  // The upgrader accepted at most one permessage-deflate element: the agreement is in it.
  const agreement = extensions.length > 0 ? agreementOf(extensions[0]) : null
  const deflate = agreement === null ? null : new PerMessageDeflate(agreement, 'server', { engine, level })
  echoMessages(socket, head, {
    compressor: deflate?.deflater,
    decompressor: deflate?.inflater,
    onClose(reason, messages) {
      deflate?.close()
      const how = deflate === null ? 'uncompressed' : `compressed (${engine.name})`
      console.log(`closed (${reason.message}): ${messages} messages ${how}, ${socket.bytesRead} bytes in, ${socket.bytesWritten} bytes out`)
    },
  })
})
listen(server, port, (actual) => `deflate echo (${engine.name}) at ws://127.0.0.1:${actual}/`)
