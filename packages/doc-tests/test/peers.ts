// The real peers the runnable blocks are checked with, on loopback: a plain HTTP client on a
// raw `net` socket (what a browser's or a health check's `GET /` looks like to a WebSocket
// server), the `ws` client, a `ws` echo server for client blocks to dial, and redis-server.
import { once } from 'node:events'
import { spawn } from 'node:child_process'
import { connect, createServer, type Socket } from 'node:net'
import WebSocket, { WebSocketServer } from 'ws'

/** Each peer operation gives up after this long, so a hung block fails instead of hanging the run. */
export const peerTimeoutMs = 10_000

/**
 * plainGet sends `GET / HTTP/1.1` without any WebSocket header to 127.0.0.1:`port` and returns
 * the status code of the answer (0 when the server closes without one).
 */
export async function plainGet(port: number): Promise<number> {
  const socket = connect({ host: '127.0.0.1', port })
  socket.setTimeout(peerTimeoutMs, () => socket.destroy(new Error(`no answer to GET / within ${peerTimeoutMs} ms`)))
  socket.write('GET / HTTP/1.1\r\nHost: 127.0.0.1\r\nAccept: text/html\r\n\r\n')
  let answer = ''
  socket.setEncoding('latin1').on('data', (chunk: string) => (answer += chunk))
  // The server closes a refused connection itself; 'close' also follows an error or the timeout.
  socket.on('error', () => {})
  await once(socket, 'close')
  const match = /^HTTP\/1\.1 (\d{3}) /.exec(answer)
  return match ? Number(match[1]) : 0
}

/** A message for {@link wsEcho}: data, and false `fin` for a fragment that the next one continues. */
export interface Outgoing {
  /** data is sent as text when a string, binary when a Buffer. */
  data: string | Buffer
  /** fin false sends this as a fragment of a message the next one continues. */
  fin?: boolean
}

/** Echoed is what {@link wsEcho} saw. */
export interface Echoed {
  /** messages are the replies, in order, with whether each was binary. */
  messages: { data: Buffer; isBinary: boolean }[]
  /** extensions is the Sec-WebSocket-Extensions the server answered with ('' for none). */
  extensions: string
  /** bytesRead is what the client's socket read in all: the handshake response and every frame. */
  bytesRead: number
  /** closeCode is the code of the server's answer to the client's close (1000 sent). */
  closeCode: number
}

/**
 * wsEcho connects the `ws` client to `url` (permessage-deflate offered when `deflate`), sends
 * `messages`, waits for one reply per whole message, closes with 1000 and waits for the close.
 * Bounded by {@link peerTimeoutMs}.
 */
export async function wsEcho(url: string, messages: readonly Outgoing[], deflate = false): Promise<Echoed> {
  const ws = new WebSocket(url, { perMessageDeflate: deflate, handshakeTimeout: peerTimeoutMs })
  let socket: Socket | undefined
  ws.on('upgrade', (response) => (socket = response.socket as Socket))
  const timer = setTimeout(() => ws.terminate(), peerTimeoutMs)
  try {
    await once(ws, 'open')
    const expected = messages.filter((m) => m.fin !== false).length
    const received: Echoed['messages'] = []
    const done = new Promise<void>((resolve, reject) => {
      ws.on('message', (data: Buffer, isBinary) => {
        received.push({ data, isBinary })
        if (received.length === expected) resolve()
      })
      ws.on('close', (code) => reject(new Error(`closed with ${code} after ${received.length} of ${expected} replies`)))
    })
    for (const { data, fin = true } of messages) ws.send(data, { fin, binary: typeof data !== 'string' })
    await done
    const extensions = ws.extensions
    ws.close(1000)
    const [closeCode] = (await once(ws, 'close')) as [number]
    return { messages: received, extensions, bytesRead: socket?.bytesRead ?? 0, closeCode }
  } finally {
    clearTimeout(timer)
  }
}

/**
 * echoServer starts a `ws` echo server on 127.0.0.1 (a free port), permessage-deflate enabled,
 * for client blocks to dial; `close()` stops it and its connections.
 */
export async function echoServer(): Promise<{ url: string; close(): Promise<void> }> {
  const server = new WebSocketServer({ host: '127.0.0.1', port: 0, perMessageDeflate: true })
  server.on('connection', (ws) => ws.on('message', (data, isBinary) => ws.send(data, { binary: isBinary })))
  await once(server, 'listening')
  const { port } = server.address() as { port: number }
  return {
    url: `ws://127.0.0.1:${port}/`,
    close: async () => {
      for (const client of server.clients) client.terminate()
      await new Promise((resolve) => server.close(resolve))
    },
  }
}

/**
 * redisServer starts Debian's redis-server (installed by scripts/peers.mjs) on 127.0.0.1 and a
 * free port, without persistence, for blocks that talk to Redis (ws-fanout); `close` kills it.
 */
export async function redisServer(): Promise<{ url: string; close(): Promise<void> }> {
  const probe = createServer().listen(0, '127.0.0.1')
  await once(probe, 'listening')
  const { port } = probe.address() as { port: number }
  await new Promise((resolve) => probe.close(resolve))
  const child = spawn('/usr/bin/redis-server', ['--port', String(port), '--bind', '127.0.0.1', '--save', '', '--appendonly', 'no'], { stdio: ['ignore', 'pipe', 'pipe'] })
  let output = ''
  await new Promise<void>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`redis-server did not start within ${peerTimeoutMs} ms: ${output}`)), peerTimeoutMs)
    child.stdout!.on('data', (chunk: Buffer) => {
      output += chunk.toString()
      if (/Ready to accept connections/.test(output)) {
        clearTimeout(timer)
        resolve()
      }
    })
    child.once('exit', (code) => {
      clearTimeout(timer)
      reject(new Error(`redis-server exited with ${code}: ${output}`))
    })
  })
  child.removeAllListeners('exit')
  return {
    url: `redis://127.0.0.1:${port}`,
    async close() {
      if (child.exitCode !== null || child.signalCode !== null) return
      const exited = once(child, 'exit')
      child.kill('SIGKILL')
      await exited
    },
  }
}
