import { once } from 'node:events'
import { connect, type Socket } from 'node:net'
import t from 'tap'
import WebSocket, { WebSocketServer } from 'ws'
import { Upgrader } from '@ws-toolkit/ws-core'
import { acceptSocket, closeGracefully, DataReader, dial, MessageReader, readClientData } from '../src/index.js'
import { listen, sampleRequest } from './helpers.js'

t.test('a server closes, the ws client answers: closed cleanly, code and reason delivered', async (t) => {
  const readers: DataReader[] = []
  const { port } = await listen(t, async (socket) => {
    const accepted = await acceptSocket(socket, new Upgrader())
    readers.push(readClientData(accepted.socket, accepted.head, { onMessage: () => {} }))
  })
  const ws = new WebSocket(`ws://127.0.0.1:${port}/`)
  t.teardown(() => ws.terminate())
  await once(ws, 'open')
  while (readers.length === 0) await new Promise((r) => setTimeout(r, 5))
  const closing = closeGracefully(readers[0], 4000, 'maintenance')
  const [code, reason] = (await once(ws, 'close')) as [number, Buffer]
  t.same([code, reason.toString()], [4000, 'maintenance'])
  t.equal(await closing, true)
  t.equal(await closeGracefully(readers[0]), true, 'already closed')
})

t.test('a peer that never answers has its socket destroyed after the wait', async (t) => {
  const readers: DataReader[] = []
  const { port } = await listen(t, async (socket) => {
    const accepted = await acceptSocket(socket, new Upgrader())
    readers.push(readClientData(accepted.socket, accepted.head, { onMessage: () => {} }))
  })
  // A raw client that completes the handshake and then ignores everything, keeping TCP open.
  const peer: Socket = connect({ port, host: '127.0.0.1', allowHalfOpen: true })
  t.teardown(() => peer.destroy())
  peer.write(sampleRequest)
  peer.resume()
  while (readers.length === 0) await new Promise((r) => setTimeout(r, 5))
  t.equal(await closeGracefully(readers[0], 1001, '', 100), false)
  t.equal(readers[0].socket.destroyed, true)
})

t.test('a client closes a ws server\'s connection: the server closes TCP', async (t) => {
  const wss = new WebSocketServer({ host: '127.0.0.1', port: 0 })
  t.teardown(() => wss.close())
  await once(wss, 'listening')
  const serverSaw = new Promise<number>((resolve) => wss.on('connection', (peer) => peer.on('close', (code) => resolve(code))))
  const { socket, head } = await dial(`ws://127.0.0.1:${(wss.address() as { port: number }).port}/`)
  t.teardown(() => socket.destroy())
  const reader = new MessageReader(socket, head, { side: 'client' })
  reader.next().catch(() => {})
  t.equal(await closeGracefully(reader, 1000), true)
  t.equal(await serverSaw, 1000)
})

t.test('a bad code or reason rejects at once: nothing sent, no timer left to destroy the socket', async (t) => {
  const { Wire } = await import('./helpers.js')
  const wire = new Wire()
  t.teardown(() => wire.destroy())
  const reader = readClientData(wire, new Uint8Array(0), { onMessage: () => {} })
  await t.rejects(closeGracefully(reader, 1000, 'x'.repeat(124), 20), RangeError)
  await new Promise((r) => setTimeout(r, 60))
  t.equal(wire.destroyed, false)
  t.equal(wire.written.length, 0)
})
