// Graceful shutdown (issue 15): a server holding 1,000 connections from real `ws` clients stops
// accepting, closes every one with 1001 (RFC 6455 §7.4.1), waits a bounded time for the peers'
// closes (§7.1.2) and cuts the peers that never answer; on the net path (acceptSocket) and the
// node:http path (acceptHttpUpgrade), and in a server process stopped with SIGTERM.
import { spawn } from 'node:child_process'
import { once } from 'node:events'
import { Agent, createServer as createHttpServer, get } from 'node:http'
import { connect, createServer, type Server, type Socket } from 'node:net'
import { dirname, join } from 'node:path'
import { fileURLToPath } from 'node:url'
import t from 'tap'
import WebSocket from 'ws'
import { Upgrader } from '@ws-toolkit/ws-core'
import { acceptHttpUpgrade, acceptSocket, type Closable, ConnectionSet, type DataReader, readClientData, shutdown } from '../src/index.js'
import { sampleRequest } from './helpers.js'

const upgrader = new Upgrader()
const handler = { onMessage: () => {}, onClose: () => {} }

/** netServer listens on loopback, accepting with acceptSocket and reading with readClientData into `set`. */
async function netServer(t: Teardown, set: ConnectionSet<DataReader>): Promise<{ server: Server; port: number }> {
  const server = createServer(async (raw) => {
    let accepted
    try {
      accepted = await acceptSocket(raw, upgrader)
    } catch {
      return
    }
    set.add(readClientData(accepted.socket, accepted.head, handler))
  })
  server.listen(0, '127.0.0.1')
  await once(server, 'listening')
  t.teardown(() => server.close())
  return { server, port: (server.address() as { port: number }).port }
}

/** Teardown is the part of a tap test these helpers use. */
interface Teardown { teardown(fn: () => void): void }

/** wsClients opens `count` ws clients to `url`, 100 at a time; `codes` resolves with the close code each gets. */
async function wsClients(t: Teardown, url: string, count: number): Promise<Promise<number>[]> {
  const codes: Promise<number>[] = []
  for (let start = 0; start < count; start += 100) {
    const opened: Promise<unknown>[] = []
    for (let i = start; i < Math.min(count, start + 100); i++) {
      const ws = new WebSocket(url)
      t.teardown(() => ws.terminate())
      ws.on('error', () => {})
      codes.push(new Promise((resolve) => ws.on('close', (code) => resolve(code))))
      opened.push(once(ws, 'open'))
    }
    await Promise.all(opened)
  }
  return codes
}

/**
 * mutePeers completes `count` handshakes on raw sockets that then ignore everything and keep
 * TCP open; each one's `received` holds the bytes after its 101.
 */
async function mutePeers(t: Teardown, port: number, count: number): Promise<{ peer: Socket; received: Buffer[] }[]> {
  const peers: { peer: Socket; received: Buffer[] }[] = []
  for (let i = 0; i < count; i++) {
    const peer = connect({ port, host: '127.0.0.1', allowHalfOpen: true })
    t.teardown(() => peer.destroy())
    peer.on('error', () => {})
    peer.write(sampleRequest)
    await once(peer, 'data') // the 101
    const received: Buffer[] = []
    peer.on('data', (chunk: Buffer) => received.push(chunk))
    peers.push({ peer, received })
  }
  return peers
}

/** until waits for `condition`, checking every 10 ms (bounded by tap's own timeout). */
async function until(condition: () => boolean): Promise<void> {
  while (!condition()) await new Promise((resolve) => setTimeout(resolve, 10))
}

t.test('net path: 1,000 ws clients all get 1001; the report says 1,000 clean, 0 cut', async (t) => {
  const set = new ConnectionSet<DataReader>()
  const { server, port } = await netServer(t, set)
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
  const server = createHttpServer((_req, res) => res.end('ok'))
  server.on('upgrade', (req, socket, head) => {
    let accepted
    try {
      accepted = acceptHttpUpgrade(req, socket, head, upgrader)
    } catch {
      return
    }
    set.add(readClientData(accepted.socket, accepted.head, handler))
  })
  server.listen(0, '127.0.0.1')
  await once(server, 'listening')
  t.teardown(() => server.close())
  const port = (server.address() as { port: number }).port
  const agent = new Agent({ keepAlive: true })
  t.teardown(() => agent.destroy())
  const response = await new Promise<import('node:http').IncomingMessage>((resolve) => get({ port, host: '127.0.0.1', agent }, resolve))
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
  const { server, port } = await netServer(t, set)
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
  const child = spawn(process.execPath, ['--import', 'tsx', join(dirname(fileURLToPath(import.meta.url)), 'shutdown-server.ts'), String(timeoutMs)],
    { stdio: ['ignore', 'pipe', 'inherit'] })
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

t.test('ConnectionSet: leaves on close, delete, one set per socket, a bad code rejects before anything is sent', async (t) => {
  const set = new ConnectionSet<DataReader>()
  const { port } = await netServer(t, set)
  const codes = await wsClients(t, `ws://127.0.0.1:${port}/`, 2)
  await until(() => set.size === 2)
  const [first, second] = [...set]
  t.ok(set.has(first))
  t.throws(() => new ConnectionSet().add(first), /another ConnectionSet/)
  await t.rejects(set.closeAll(999), RangeError)
  t.equal(set.size, 2, 'nothing closed')
  t.equal(set.delete(second), true)
  t.equal(set.has(second), false)
  t.equal(new ConnectionSet<Closable>().add(second), true, 'a deleted connection may join another set')
  second.close(1000)
  const report = await set.closeAll(4000, 'maintenance', 30_000)
  t.same(report, { clean: 1, cut: 0, unanswered: [] })
  t.same(await Promise.all(codes), [4000, 1000])
  t.same(await set.closeAll(), { clean: 0, cut: 0, unanswered: [] }, 'an empty set resolves at once')
})
