import { once } from 'node:events'
import { createServer, type Server, type Socket } from 'node:net'

export const ascii = (s: string) => Buffer.from(s, 'latin1')

export const sampleRequest = 'GET /chat HTTP/1.1\r\nHost: 127.0.0.1\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n' +
  'Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\nSec-WebSocket-Version: 13\r\n\r\n'

/** listen starts a loopback TCP server handing each socket to `onSocket`; closed by teardown. */
export async function listen(t: { teardown(fn: () => void): void }, onSocket: (socket: Socket) => void): Promise<{ server: Server; port: number }> {
  const server = createServer(onSocket)
  server.listen(0, '127.0.0.1')
  await once(server, 'listening')
  t.teardown(() => server.close())
  return { server, port: (server.address() as { port: number }).port }
}

/** collect resolves with every byte `socket` receives until it ends or closes. */
export function collect(socket: Socket): Promise<Buffer> {
  const chunks: Buffer[] = []
  socket.on('data', (chunk) => chunks.push(chunk))
  return new Promise((resolve) => socket.on('close', () => resolve(Buffer.concat(chunks))))
}
