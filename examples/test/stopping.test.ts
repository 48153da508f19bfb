// Issue 13: a server being stopped owes its peers a close with 1001, "going away" (RFC 6455
// §7.4.1), and a clean exit. On SIGINT (Ctrl-C) or SIGTERM each server example closes every
// open connection with 1001, waits a bounded time for the peers, cuts what is left, prints how
// many were which, and exits 0. The client example closes with 1000 and exits 0.
import { spawn } from 'node:child_process'
import { once } from 'node:events'
import { connect } from 'node:net'
import { dirname, join } from 'node:path'
import { fileURLToPath } from 'node:url'
import t from 'tap'
import WebSocket, { WebSocketServer } from 'ws'
import { runExample } from './run-example.js'

const examples = join(dirname(fileURLToPath(import.meta.url)), '..')

/** A ws client connected to `url`; `closed` resolves with the close code and reason it gets. */
async function connected(url: string): Promise<{ closed: Promise<[number, string]> }> {
  const ws = new WebSocket(url)
  const closed = new Promise<[number, string]>((resolve) => ws.on('close', (code, reason) => resolve([code, reason.toString()])))
  ws.on('error', () => {})
  await once(ws, 'open')
  return { closed } // in an object: an async function returning a promise would wait for it
}

const cases: [string, NodeJS.Signals, string[], string][] = [
  ['echo', 'SIGINT', [], '/'],
  ['echo', 'SIGTERM', [], '/'],
  ['echo-raw', 'SIGINT', [], '/'],
  ['json-stream', 'SIGINT', [], '/'],
  ['chat', 'SIGTERM', [], '/'],
  ['http-upgrade', 'SIGINT', [], '/ws'],
  ['deflate-echo', 'SIGINT', ['--engine', 'fflate'], '/'],
  ['deflate-echo', 'SIGTERM', [], '/'],
  ['custom-compressor', 'SIGINT', [], '/'],
]

for (const [name, signal, args, path] of cases) {
  t.test(`examples/${name}.ts on ${signal}: the ws clients get 1001 and it exits 0`, async (t) => {
    const { port, stop, output } = await runExample(t, name, args)
    const url = `ws://127.0.0.1:${port}${path}`
    const closes = [await connected(url), await connected(url)]
    const exit = await stop(signal)
    t.same(exit, { code: 0, signal: null }, 'exit code 0')
    for (const { closed } of closes) t.same(await closed, [1001, 'server stopping'], 'the client got 1001 (going away)')
    t.match(output(), new RegExp(`stopped on ${signal}: 2 connections closed cleanly with 1001 \\(going away\\), 0 cut`), 'one line: how many closed, how many were cut')
  })
}

t.test('examples/echo.ts on SIGINT: a peer that never answers the close is cut, and it still exits 0', async (t) => {
  const { port, stop, output } = await runExample(t, 'echo')
  const { closed } = await connected(`ws://127.0.0.1:${port}/`)
  // Completes the handshake, then reads nothing and answers nothing.
  const mute = connect(port, '127.0.0.1')
  t.teardown(() => mute.destroy())
  mute.on('error', () => {})
  mute.write('GET / HTTP/1.1\r\nHost: 127.0.0.1\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n'
    + 'Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\nSec-WebSocket-Version: 13\r\n\r\n')
  await once(mute, 'data')
  mute.pause()
  // The mute peer also keeps its side of TCP open: ending ours is not enough to close it.
  mute.on('end', () => {})
  mute.allowHalfOpen = true
  t.same(await stop('SIGINT'), { code: 0, signal: null }, 'exit code 0')
  t.same(await closed, [1001, 'server stopping'])
  t.match(output(), /stopped on SIGINT: 1 connection closed cleanly with 1001 \(going away\), 1 cut/)
})

t.test('examples/cluster.ts on SIGINT: the workers close with 1001 and it exits 0', async (t) => {
  const { port, stop, output } = await runExample(t, 'cluster', ['--workers', '2'])
  const closes = [await connected(`ws://127.0.0.1:${port}/`), await connected(`ws://127.0.0.1:${port}/`)]
  t.same(await stop('SIGINT'), { code: 0, signal: null }, 'exit code 0')
  for (const { closed } of closes) t.same(await closed, [1001, 'server stopping'])
  t.equal(output().match(/^worker \d+: stopped on SIGTERM: /gm)?.length, 2, 'each worker was passed the signal and stopped')
})

t.test('examples/client.ts on SIGINT: closes with 1000 and exits 0', async (t) => {
  // A server that takes the message and never answers, so the client waits for a reply.
  const server = new WebSocketServer({ host: '127.0.0.1', port: 0 })
  await once(server, 'listening')
  t.teardown(() => server.close())
  const closed = new Promise<number>((resolve) => server.on('connection', (ws) => ws.on('close', (code) => resolve(code))))
  const received = new Promise<void>((resolve) => server.on('connection', (ws) => ws.once('message', () => resolve())))
  const url = `ws://127.0.0.1:${(server.address() as { port: number }).port}/`
  const child = spawn(process.execPath, ['--import', 'tsx', join(examples, 'client.ts'), url, 'anyone there?'], { cwd: examples, stdio: ['ignore', 'pipe', 'inherit'] })
  t.teardown(() => child.kill())
  let stdout = ''
  child.stdout.setEncoding('utf8').on('data', (chunk: string) => (stdout += chunk))
  const exited = once(child, 'exit')
  await received
  child.kill('SIGINT')
  t.equal(await closed, 1000, 'the server got 1000')
  t.same(await exited, [0, null], 'exit code 0')
  t.match(stdout, /\nSIGINT: closed with 1000\n$/)
})
