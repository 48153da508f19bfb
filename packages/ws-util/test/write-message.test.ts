import { once } from 'node:events'
import t from 'tap'
import WebSocket, { WebSocketServer } from 'ws'
import { OpCode, Upgrader } from '@ws-toolkit/ws-core'
import { acceptSocket, dial, writeClientMessage, writeServerMessage } from '../src/index.js'
import { listen, Sink } from './helpers.js'

t.test('a server message: one write with the header in front; a large payload is not copied', async (t) => {
  const sink = new Sink()
  t.equal(writeServerMessage(sink, OpCode.Text, 'Hello'), true)
  t.equal(sink.copies[0].toString('hex'), '810548656c6c6f', 'RFC 6455 §5.7')
  const large = Buffer.alloc(70000, 1)
  writeServerMessage(sink, OpCode.Binary, large)
  t.equal(sink.copies[1].toString('hex'), '827f0000000000011170')
  t.equal(sink.chunks[2], large, 'the payload itself')
  t.throws(() => writeServerMessage(sink, OpCode.Ping, new Uint8Array(126)), /at most 125/)
})

t.test('a client message is masked in a copy: the caller\'s bytes stay as they were', async (t) => {
  const sink = new Sink()
  const payload = Buffer.alloc(70000, 1)
  writeClientMessage(sink, OpCode.Binary, payload)
  t.equal(sink.chunks.length, 1, 'one write')
  t.equal(sink.copies[0].subarray(0, 10).toString('hex'), '82ff0000000000011170')
  t.ok(payload.every((b) => b === 1))
})

t.test('real peers decode both: a ws client reads ours, a ws server reads our client\'s', async (t) => {
  const { port } = await listen(t, async (socket) => {
    const accepted = await acceptSocket(socket, new Upgrader())
    writeServerMessage(accepted.socket, OpCode.Text, 'from the server')
    writeServerMessage(accepted.socket, OpCode.Binary, Buffer.alloc(100000, 2))
  })
  const ws = new WebSocket(`ws://127.0.0.1:${port}/`)
  t.teardown(() => ws.terminate())
  const received: [Buffer, boolean][] = []
  ws.on('message', (data: Buffer, isBinary) => received.push([data, isBinary]))
  while (received.length < 2) await new Promise((r) => setTimeout(r, 5))
  t.same([received[0][0].toString(), received[0][1]], ['from the server', false])
  t.ok(received[1][1] && received[1][0].equals(Buffer.alloc(100000, 2)))

  const wss = new WebSocketServer({ host: '127.0.0.1', port: 0 })
  t.teardown(() => wss.close())
  await once(wss, 'listening')
  const got = new Promise<Buffer>((resolve) => wss.on('connection', (peer) => peer.on('message', (data: Buffer) => resolve(data))))
  const { socket } = await dial(`ws://127.0.0.1:${(wss.address() as { port: number }).port}/`)
  t.teardown(() => socket.destroy())
  writeClientMessage(socket, OpCode.Binary, Buffer.alloc(70000, 3))
  t.ok((await got).equals(Buffer.alloc(70000, 3)))
})
