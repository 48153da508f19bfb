// Issue 15: one port shared with a web framework. examples/express.ts (Express 5) and
// examples/fastify.ts (Fastify 5), the real packages: the framework answers the HTTP routes
// (undici's fetch), /ws is upgraded by us and echoes (the ws client: text and 1 MiB of binary),
// an upgrade on any other path, a framework route included, gets an HTTP 4xx and its socket
// closed (a raw socket), and SIGTERM closes a connected client with 1001 and exits 0.
import { once } from 'node:events'
import { connect } from 'node:net'
import t from 'tap'
import { Agent, fetch } from 'undici'
import WebSocket from 'ws'
import { wsEcho } from './peers.js'
import { runExample } from './run-example.js'

/** The most a raw socket waits for the server's answer and close before the test fails. */
const boundMs = 20_000

/**
 * rawUpgrade sends a WebSocket handshake for `path` on a raw socket and resolves with the
 * status line and, for a refusal, whether the server then closed the socket (within boundMs);
 * an accepted upgrade (101) is closed here at once.
 */
async function rawUpgrade(port: number, path: string): Promise<{ status: string; closedByServer: boolean }> {
  const socket = connect(port, '127.0.0.1')
  socket.on('error', () => {})
  let timer: NodeJS.Timeout | undefined
  try {
    let received = ''
    socket.setEncoding('latin1')
    const ended = new Promise<boolean>((resolve) => {
      timer = setTimeout(() => resolve(false), boundMs)
      socket.once('end', () => {
        clearTimeout(timer)
        resolve(true)
      })
    })
    const statusLine = new Promise<string>((resolve) => {
      socket.on('data', (chunk: string) => {
        received += chunk
        if (received.includes('\r\n')) resolve(received.slice(0, received.indexOf('\r\n')))
      })
      socket.once('end', () => resolve(received))
    })
    await once(socket, 'connect')
    socket.write(`GET ${path} HTTP/1.1\r\nHost: 127.0.0.1:${port}\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n`
      + 'Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\nSec-WebSocket-Version: 13\r\n\r\n')
    const status = await statusLine
    return { status, closedByServer: status.startsWith('HTTP/1.1 101 ') ? false : await ended }
  } finally {
    clearTimeout(timer)
    socket.destroy()
  }
}

/** Each framework, with what its own answers look like, so that a test can tell who answered. */
const frameworks: { name: string; greeting: RegExp; notFound: RegExp }[] = [
  { name: 'express', greeting: /^Express here/, notFound: /Cannot GET \/nope/ },
  { name: 'fastify', greeting: /^Fastify here/, notFound: /"message":"Route GET:\/nope not found"/ },
]

for (const { name, greeting, notFound } of frameworks) {
  t.test(`examples/${name}.ts`, async (t) => {
    const { port, stop, output } = await runExample(t, name)
    const http = `http://127.0.0.1:${port}`
    const url = `ws://127.0.0.1:${port}/ws`
    const agent = new Agent()
    t.teardown(() => agent.close())
    const get = (path: string) => fetch(`${http}${path}`, { dispatcher: agent })

    t.test('the framework answers the HTTP routes', async (t) => {
      const home = await get('/')
      t.equal(home.status, 200)
      t.match(await home.text(), greeting)
      if (name === 'express') t.equal(home.headers.get('x-powered-by'), 'Express', 'Express answered')
      const health = await get('/health')
      t.match(health.headers.get('content-type'), /^application\/json/)
      t.same(await health.json(), { status: 'ok', websockets: 0 })
      const plain = await get('/ws')
      t.equal(plain.status, 426, 'a plain GET of /ws: Upgrade Required')
      t.equal(plain.headers.get('upgrade'), 'websocket')
      await plain.text()
      const missing = await get('/nope')
      t.equal(missing.status, 404)
      t.match(await missing.text(), notFound, 'the framework\'s own 404')
    })

    t.test('the ws client on /ws: text and 1 MiB of binary come back', async (t) => {
      const big = Buffer.alloc(1024 * 1024)
      for (let i = 0; i < big.length; i += 997) big[i] = i % 251
      const echoed = await wsEcho(url, [{ data: 'hello, framework' }, { data: big }])
      t.same(echoed.map((m) => [m.isBinary, m.data.length]), [[false, 16], [true, big.length]])
      t.equal(echoed[0].data.toString(), 'hello, framework')
      t.ok(echoed[1].data.equals(big), '1 MiB, byte for byte')
    })

    t.test('HTTP goes on beside an open WebSocket, on the same port', async (t) => {
      const ws = new WebSocket(url)
      t.teardown(() => ws.terminate())
      await once(ws, 'open')
      t.same(await (await get('/health')).json(), { status: 'ok', websockets: 1 })
      ws.send('still echoing')
      t.equal(String((await once(ws, 'message'))[0]), 'still echoing')
      ws.close(1000)
      t.equal((await once(ws, 'close'))[0], 1000)
    })

    t.test('an upgrade on another path gets an HTTP 4xx and its socket closed', async (t) => {
      // /health and / are the framework's routes: their upgrades are still ours, and refused.
      for (const path of ['/nope', '/health', '/', '/ws/deeper']) {
        const { status, closedByServer } = await rawUpgrade(port, path)
        t.match(status, /^HTTP\/1\.1 404 /, `${path}: 404`)
        t.ok(closedByServer, `${path}: the server closed the socket`)
      }
      const { status } = await rawUpgrade(port, '/ws')
      t.match(status, /^HTTP\/1\.1 101 /, 'and /ws is upgraded')
      // The ws client sees the refusal as an unexpected response.
      const refused = new WebSocket(`ws://127.0.0.1:${port}/health`)
      refused.on('error', () => {})
      const [, response] = (await once(refused, 'unexpected-response')) as [unknown, { statusCode: number }]
      t.equal(response.statusCode, 404)
      refused.terminate()
    })

    t.test('SIGTERM: the connected client gets 1001 and it exits 0', async (t) => {
      const ws = new WebSocket(url)
      ws.on('error', () => {})
      const closed = new Promise<[number, string]>((resolve) => ws.on('close', (code, reason) => resolve([code, reason.toString()])))
      await once(ws, 'open')
      // An idle kept-alive HTTP connection too: it must not hold the server open.
      await (await get('/')).text()
      t.same(await stop('SIGTERM'), { code: 0, signal: null }, 'exit code 0')
      t.same(await closed, [1001, 'server stopping'], 'the client got 1001 (going away)')
      t.match(output(), /stopped on SIGTERM: 1 connection closed cleanly with 1001 \(going away\), 0 cut/)
    })
  })
}
