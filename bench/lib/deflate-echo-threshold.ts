// examples/deflate-echo.ts with a compression threshold of our choosing, which the example
// has no flag for: the same pieces (examples/lib's webSocketServer, echoMessages and
// ConnectionSet (ws-util), ws-flate's deflateNegotiator and PerMessageDeflate), put together as the
// example does, with `threshold` passed to PerMessageDeflate. Only the example's line per
// closed connection is left out.
import type { Server } from 'node:net'
import { Upgrader } from '@ws-toolkit/ws-core'
import { agreementOf, type DeflateEngine, deflateNegotiator, fflateEngine, PerMessageDeflate } from '@ws-toolkit/ws-flate'
import { zlibEngine } from '@ws-toolkit/ws-flate/zlib'
import { ConnectionSet } from '@ws-toolkit/ws-util'
import { echoMessages } from '../../examples/lib/echo.ts'
import { webSocketServer } from '../../examples/lib/server.ts'

/** DeflateEchoOptions are deflate-echo.ts's flags (engine, --no-context-takeover; level 6) plus the threshold. */
export interface DeflateEchoOptions { engine: 'zlib' | 'fflate'; noContextTakeover: boolean; threshold: number }

/** serveDeflateEcho starts the deflate echo on 127.0.0.1 (a free port) in this process and resolves with its port. */
export async function serveDeflateEcho(options: DeflateEchoOptions): Promise<number> {
  const engine: DeflateEngine = options.engine === 'zlib' ? zlibEngine : fflateEngine
  const noTakeover = options.noContextTakeover
  const connections = new ConnectionSet()
  const upgrader = new Upgrader({
    negotiate: deflateNegotiator({ minWindowBits: engine.minWindowBits, serverNoContextTakeover: noTakeover, clientNoContextTakeover: noTakeover }),
  })
  const server: Server = webSocketServer(upgrader, (socket, head, extensions) => {
    const agreement = extensions.length > 0 ? agreementOf(extensions[0]) : null
    const deflate = agreement === null ? null : new PerMessageDeflate(agreement, 'server', { engine, threshold: options.threshold })
    connections.add(echoMessages(socket, head, {
      compressor: deflate?.deflater,
      decompressor: deflate?.inflater,
      onClose: () => deflate?.close(),
    }))
  })
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve))
  return (server.address() as { port: number }).port
}
