// Issue 14: examples/echo-raw.ts held every half-sent request for good. Like the servers built
// on acceptSocket (lib/server.ts), it now gives a peer a bounded time to complete its request,
// then cuts the socket; a connection that completed its handshake keeps no timer and stays.
// No assertion is on timings: each socket only has to be closed by the server, within a bound
// far above the server's own.
import { once } from 'node:events'
import { connect, type Socket } from 'node:net'
import t from 'tap'
import WebSocket from 'ws'
import { runExample } from './run-example.js'

/** How long the test waits for the server to close a socket: generous, on a shared machine. */
const closeBoundMs = 20_000
/** Half-sent requests held open at once: bounded. */
const halfSent = 50

/** Resolves when `socket` closes; rejects if it is still open after `ms`. */
function closed(socket: Socket, ms: number): Promise<void> {
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`socket still open after ${ms} ms`)), ms)
    socket.once('close', () => {
      clearTimeout(timer)
      resolve()
    })
  })
}

t.test('examples/echo-raw.ts cuts half-sent requests and keeps upgraded connections', async (t) => {
  const { port } = await runExample(t, 'echo-raw')
  const url = `ws://127.0.0.1:${port}/`

  // A connection upgraded before the half-sent ones: it must outlast their cut.
  const ws = new WebSocket(url)
  ws.on('error', () => {})
  await once(ws, 'open')

  const sockets: Socket[] = []
  t.teardown(() => sockets.forEach((socket) => socket.destroy()))
  const parts = [
    '', // connects and sends nothing
    'GET / HTTP/1.1\r\n', // the request line only
    'GET / HTTP/1.1\r\nHost: 127.0.0.1\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n', // no empty line
    'GET / HTTP/1.1\r\nHost: 127.0.0.1\r\nSec-WebSocket-Ke', // cut inside a header
  ]
  const closes: Promise<void>[] = []
  for (let i = 0; i < halfSent; i++) {
    const socket = connect(port, '127.0.0.1')
    sockets.push(socket)
    socket.on('error', () => {})
    socket.on('data', () => t.fail('no answer to a request not complete'))
    closes.push(closed(socket, closeBoundMs))
    await once(socket, 'connect')
    const part = parts[i % parts.length]
    if (part !== '') socket.write(part)
  }

  // While they hang, a complete handshake on another socket still works.
  const late = new WebSocket(url)
  late.on('error', () => {})
  await once(late, 'open')
  late.send('meanwhile')
  t.equal(String((await once(late, 'message'))[0]), 'meanwhile', 'a complete handshake is served while others hang')

  await Promise.all(closes)
  t.pass(`all ${halfSent} half-sent requests were closed by the server`)

  // The connections that completed their handshake were not cut with them.
  for (const [name, client] of [['the first', ws], ['the later', late]] as const) {
    t.equal(client.readyState, WebSocket.OPEN, `${name} connection is still open`)
    client.send(`${name} still echoes`)
    t.equal(String((await once(client, 'message'))[0]), `${name} still echoes`)
    client.close(1000)
    t.equal((await once(client, 'close'))[0], 1000)
  }
})
