// The pieces every raw-net example shares: a net.Server that runs the opening handshake on
// each connection (acceptSocket, 5 s to complete it) and hands over the upgraded socket, and a
// listen() that prints the "listening on 127.0.0.1:N" line the tests wait for.
import type { Server as HttpServer } from 'node:http'
import { createServer, type Server, type Socket } from 'node:net'
import type { Extension, Upgrader } from '@ws-toolkit/ws-core'
import { acceptSocket } from '@ws-toolkit/ws-util'

/**
 * webSocketServer calls `onOpen` with each upgraded socket, the bytes that came behind its
 * handshake, and the extensions the upgrader accepted.
 */
export function webSocketServer(upgrader: Upgrader, onOpen: (socket: Socket, head: Uint8Array, extensions: Extension[]) => void): Server {
  return createServer(async (socket) => {
    let accepted
    try {
      accepted = await acceptSocket(socket, upgrader, { timeoutMs: 5000 })
    } catch {
      return // refused (and answered), timed out or gone
    }
    onOpen(accepted.socket, accepted.head, accepted.extensions)
  })
}

/** listen listens on 127.0.0.1:`port` (0 picks one) and prints where, then `hint(port)`. */
export function listen(server: Server | HttpServer, port: number, hint: (port: number) => string): void {
  server.listen(port, '127.0.0.1', () => {
    const address = server.address()
    const actual = typeof address === 'object' && address ? address.port : port
    console.log(`listening on 127.0.0.1:${actual}`)
    console.log(hint(actual))
  })
}
