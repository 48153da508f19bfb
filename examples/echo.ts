// Echo server on a raw net.Server with ws-util: acceptSocket for the handshake, then a
// DataReader for whole messages and a BatchWriter that answers a tick's messages in one write.
// Each connection is pinged every --ping-interval ms and closed with 1001 when a pong is
// --ping-timeout ms late (lib/heartbeat.ts).
//
//   pnpm exec tsx examples/echo.ts --port 8080 [--ping-interval MS] [--ping-timeout MS]     (pnpm start runs it on 8080)
import { Upgrader } from '@ws-toolkit/ws-core'
import { ConnectionSet } from '@ws-toolkit/ws-util'
import { parseCommand, portFlag } from './lib/args.ts'
import { echoMessages } from './lib/echo.ts'
import { heartbeatFlags, heartbeatSettings } from './lib/heartbeat.ts'
import { listen, webSocketServer } from './lib/server.ts'
import { stopOnSignals } from './lib/shutdown.ts'

const { values } = parseCommand({
  summary: 'echo server with ws-util (acceptSocket, DataReader, BatchWriter); pnpm start runs it',
  flags: { port: portFlag(8080), ...heartbeatFlags },
  notes: ['pnpm start --port N runs it on another port.'],
})
const { port } = values
const options = { heartbeat: heartbeatSettings(values) }
const upgrader = new Upgrader()
const connections = new ConnectionSet()

const server = webSocketServer(upgrader, (socket, head) => connections.add(echoMessages(socket, head, options)))
stopOnSignals(server, connections)
listen(server, port, (actual) => `echo at ws://127.0.0.1:${actual}/, try: pnpm exec tsx examples/client.ts ws://127.0.0.1:${actual}/ hello`)
