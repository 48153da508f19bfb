// Echo server on a raw net.Server with ws-util: acceptSocket for the handshake, then a
// DataReader for whole messages and a BatchWriter that answers a tick's messages in one write.
//
//   pnpm exec tsx examples/echo.ts --port 8080     (pnpm start runs it on 8080)
import { createServer } from 'node:net'
import { Upgrader } from '@ws-toolkit/ws-core'
import { acceptSocket } from '@ws-toolkit/ws-util'
import { exampleArgs } from './lib/args.js'
import { echoMessages } from './lib/echo.js'

const { port } = exampleArgs(8080)
const upgrader = new Upgrader()

const server = createServer(async (socket) => {
  let accepted
  try {
    accepted = await acceptSocket(socket, upgrader, { timeoutMs: 5000 })
  } catch {
    return // refused (and answered), timed out or gone
  }
  echoMessages(accepted.socket, accepted.head)
})

server.listen(port, '127.0.0.1', () => {
  const address = server.address()
  const actual = typeof address === 'object' && address ? address.port : port
  console.log(`listening on 127.0.0.1:${actual}`)
  console.log(`echo at ws://127.0.0.1:${actual}/, try: pnpm exec tsx examples/client.ts ws://127.0.0.1:${actual}/ hello`)
})
