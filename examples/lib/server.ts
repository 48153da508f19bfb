// The pieces every raw-net example shares: a net.Server that runs the opening handshake on
// each connection (acceptSocket, 5 s to complete it) and hands over the upgraded socket, and a
// listen() that prints the "listening on 127.0.0.1:N" line the tests wait for, or one line
// and exit code 1 when it cannot listen (a port in use), not a stack trace.
import type { Server as HttpServer } from 'node:http'
import { createServer, type Server, type Socket } from 'node:net'
import type { Extension, Upgrader } from '@ws-toolkit/ws-core'
import { type Accepted, acceptSocket } from '@ws-toolkit/ws-util'

/**
 * webSocketServer calls `onOpen` with each upgraded socket, the bytes that came behind its
 * handshake, and the extensions the upgrader accepted.
 */
export function webSocketServer(upgrader: Upgrader, onOpen: (socket: Socket, head: Uint8Array, extensions: Extension[]) => void): Server {
  const options = { timeoutMs: 5000 }
  const open = (accepted: Accepted<Socket>) => onOpen(accepted.socket, accepted.head, accepted.extensions)
  // Shared by every connection: no async function, and no closure of its own, per socket.
  return createServer((socket) => {
    acceptSocket(socket, upgrader, options).then(open, ignoreRefused)
  })
}

/** ignoreRefused: a handshake refused (and answered), timed out or gone needs nothing more. */
function ignoreRefused(): void {}

/** listenError is the one line for a failed listen: what went wrong and what to do. */
export function listenError(error: NodeJS.ErrnoException, port: number): string {
  if (error.code === 'EADDRINUSE') return `port ${port} is in use: pick another with --port N`
  if (error.code === 'EACCES') return `port ${port} needs privileges: pick one from 1024 with --port N`
  return `cannot listen on 127.0.0.1:${port}: ${error.message}`
}

/**
 * listen listens on 127.0.0.1:`port` (0 picks one) and prints where, how to pick another port
 * and how to stop, then `hint(port)`. If it cannot listen it prints one line on stderr and
 * exits 1.
 */
export function listen(server: Server | HttpServer, port: number, hint: (port: number) => string): void {
  server.once('error', (error: NodeJS.ErrnoException) => {
    console.error(listenError(error, port))
    process.exit(1)
  })
  server.listen(port, '127.0.0.1', () => printListening(server, port, hint))
}

/**
 * printListening prints the lines {@link listen} prints once `server` listens: where (the port
 * it got, `port` if it cannot tell), how to pick another port and how to stop, then `hint(port)`.
 * For a server that a framework starts listening (fastify.listen).
 */
export function printListening(server: Server | HttpServer, port: number, hint: (port: number) => string): void {
  const address = server.address()
  const actual = typeof address === 'object' && address ? address.port : port
  console.log(`listening on 127.0.0.1:${actual} (--port N for another; Ctrl-C stops)`)
  console.log(hint(actual))
}
