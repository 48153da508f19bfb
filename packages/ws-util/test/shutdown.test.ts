// Graceful shutdown (issue 15): a server holding 1,000 connections from real `ws` clients stops
// accepting, closes every one with 1001 (RFC 6455 §7.4.1), waits a bounded time for the peers'
// closes (§7.1.2) and cuts the peers that never answer; on the net path (acceptSocket) and the
// node:http path (acceptHttpUpgrade), and in a server process stopped with SIGTERM.
import { once } from 'node:events'
import { Agent, get, type IncomingMessage } from 'node:http'
import { dirname, join } from 'node:path'
import { fileURLToPath } from 'node:url'
import t from 'tap'
import { ConnectionSet, type DataReader, shutdown } from '../src/index.js'
import { httpServer, listening, mutePeers, netServer, spawnTypeScript, until, wsClients } from './connection-helpers.js'

t.test('net path: 1,000 ws clients all get 1001; the report says 1,000 clean, 0 cut', async (t) => {
  const set = new ConnectionSet<DataReader>()
  const { server, port } = await listening(t, netServer(set))
  const codes = await wsClients(t, `ws://127.0.0.1:${port}/`, 1000)
  await until(() => set.size === 1000)
  const serverClosed = once(server, 'close')
  const started = performance.now()
  const report = await shutdown(server, set, { timeoutMs: 30_000 })
  t.comment(`1,000 connections closed in ${Math.round(performance.now() - started)} ms`)
  t.same(report, { clean: 1000, cut: 0, unanswered: [] })
  t.same(new Set(await Promise.all(codes)), new Set([1001]), 'every client got 1001')
  t.equal(set.size, 0)
  await serverClosed // no longer accepting, and no socket left open
})

t.test('node:http path: 1,000 ws clients get 1001, an idle keep-alive HTTP connection does not hold the server', async (t) => {
  const set = new ConnectionSet<DataReader>()
  const { server, port } = await listening(t, httpServer(set))
  const agent = new Agent({ keepAlive: true })
  t.teardown(() => agent.destroy())
  const response = await new Promise<IncomingMessage>((resolve) => get({ port, host: '127.0.0.1', agent }, resolve))
  response.resume()
  await once(response, 'end') // the keep-alive connection stays open, idle
  const codes = await wsClients(t, `ws://127.0.0.1:${port}/`, 1000)
  await until(() => set.size === 1000)
  const serverClosed = once(server, 'close')
  const report = await shutdown(server, set, { timeoutMs: 30_000, reason: 'bye' })
  t.same(report, { clean: 1000, cut: 0, unanswered: [] })
  t.same(new Set(await Promise.all(codes)), new Set([1001]), 'every client got 1001')
  await serverClosed // the idle HTTP connection was closed too
})

t.test('peers that never answer the close are cut after the bound and reported', async (t) => {
  const set = new ConnectionSet<DataReader>()
  const { server, port } = await listening(t, netServer(set))
  const codes = await wsClients(t, `ws://127.0.0.1:${port}/`, 20)
  const mutes = await mutePeers(t, port, 3)
  await until(() => set.size === 23)
  const report = await shutdown(server, set, { timeoutMs: 1000 })
  t.equal(report.clean, 20)
  t.equal(report.cut, 3)
  t.equal(report.unanswered.length, 3)
  t.ok(report.unanswered.every((reader) => reader.socket.destroyed), 'the cut sockets are destroyed')
  t.same(new Set(await Promise.all(codes)), new Set([1001]))
  for (const { received } of mutes) t.same(Buffer.concat(received), Buffer.from([0x88, 0x02, 0x03, 0xe9]), 'a mute peer was sent the close frame (1001) too')
  t.equal(set.size, 0)
})

t.test('a server process given SIGTERM with 1,000 ws clients and 2 mute peers: all get 1001, it exits 0 within the bound', async (t) => {
  const timeoutMs = 5000
  const child = spawnTypeScript(join(dirname(fileURLToPath(import.meta.url)), 'shutdown-server.ts'), [String(timeoutMs)])
  // Bounded generously: a server that does not stop on its own is killed, and the test fails.
  const killer = setTimeout(() => child.kill('SIGKILL'), timeoutMs + 30_000)
  t.teardown(() => {
    clearTimeout(killer)
    child.kill('SIGKILL')
  })
  let stdout = ''
  child.stdout.setEncoding('utf8').on('data', (chunk: string) => (stdout += chunk))
  const exited = once(child, 'exit')
  await until(() => /port \d+\n/.test(stdout))
  const port = Number(/port (\d+)/.exec(stdout)![1])
  const codes = await wsClients(t, `ws://127.0.0.1:${port}/`, 1000)
  await mutePeers(t, port, 2)
  const started = performance.now()
  child.kill('SIGTERM')
  t.same(await exited, [0, null], 'exit code 0, before the test\'s kill')
  t.comment(`SIGTERM to exit: ${Math.round(performance.now() - started)} ms (bound ${timeoutMs} ms, 2 peers mute)`)
  t.same(new Set(await Promise.all(codes)), new Set([1001]), 'every ws client got 1001')
  t.same(JSON.parse(stdout.split('\n')[1]), { clean: 1000, cut: 2 })
})

t.test('shutdown without options: 1001, no reason, the default bound; a net server has no idle HTTP connections to close', async (t) => {
  const set = new ConnectionSet<DataReader>()
  const { server, port } = await listening(t, netServer(set))
  const codes = await wsClients(t, `ws://127.0.0.1:${port}/`, 5)
  await until(() => set.size === 5)
  const serverClosed = once(server, 'close')
  t.same(await shutdown(server, set), { clean: 5, cut: 0, unanswered: [] })
  t.same(await Promise.all(codes), [1001, 1001, 1001, 1001, 1001])
  await serverClosed
})
