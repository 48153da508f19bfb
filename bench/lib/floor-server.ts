import { createServer } from 'node:net'

/** The 101 the floor answers any request with: no key checked, no parsing. */
const canned = Buffer.from('HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n\r\n')

/**
 * serveFloorEcho starts the floor on 127.0.0.1 (a free port) and resolves with its port: a
 * canned 101 for any request, then every chunk written back as it came (the load expects its
 * own frames back). What node:net costs, with no WebSocket code: no parsing, no masking.
 */
export async function serveFloorEcho(): Promise<number> {
  const server = createServer((socket) => {
    socket.once('data', () => {
      socket.write(canned)
      socket.on('data', (chunk) => socket.write(chunk))
    })
    socket.on('error', () => {})
  })
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve))
  return (server.address() as { port: number }).port
}
