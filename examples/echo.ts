// Echo server on a raw net.Server with ws-util: acceptSocket for the handshake, then a
// DataReader for whole messages and a BatchWriter that answers a tick's messages in one write.
//
//   pnpm exec tsx examples/echo.ts --port 8080     (pnpm start runs it on 8080)
import { Upgrader } from '@ws-toolkit/ws-core'
import { exampleArgs } from './lib/args.js'
import { echoMessages } from './lib/echo.js'
import { listen, webSocketServer } from './lib/server.js'

const { port } = exampleArgs(8080)
const upgrader = new Upgrader()

const server = webSocketServer(upgrader, (socket, head) => echoMessages(socket, head))
listen(server, port, (actual) => `echo at ws://127.0.0.1:${actual}/, try: pnpm exec tsx examples/client.ts ws://127.0.0.1:${actual}/ hello`)
