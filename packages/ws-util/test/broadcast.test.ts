import { once } from 'node:events'
import t from 'tap'
import WebSocket from 'ws'
import { compileFrame, newTextFrame, OpCode, Upgrader } from '@ws-toolkit/ws-core'
import { acceptSocket, BatchWriter, broadcast, type BroadcastTarget } from '../src/index.js'
import { listen, Sink, tick } from './helpers.js'

t.test('one compiled frame, the same bytes to every socket; ws clients receive it', async (t) => {
  const sockets: import('node:net').Socket[] = []
  const { port } = await listen(t, async (socket) => {
    const accepted = await acceptSocket(socket, new Upgrader())
    sockets.push(accepted.socket)
  })
  const clients = await Promise.all([1, 2, 3].map(async () => {
    const ws = new WebSocket(`ws://127.0.0.1:${port}/`)
    t.teardown(() => ws.terminate())
    await once(ws, 'open')
    return ws
  }))
  while (sockets.length < 3) await new Promise((r) => setTimeout(r, 5))
  const received = clients.map((ws) => once(ws, 'message'))
  t.equal(broadcast(sockets, compileFrame(newTextFrame('to everyone'))), 3)
  for (const [data] of await Promise.all(received)) t.equal(String(data), 'to everyone')
})

t.test('targets backed up beyond the limit are skipped and reported', async (t) => {
  const fast = new Sink()
  const slow: BroadcastTarget = { writableLength: 2 * 1024 * 1024, write: () => t.fail('must not be written') }
  const skipped: BroadcastTarget[] = []
  const frame = compileFrame(newTextFrame('hi'))
  t.equal(broadcast([fast, slow], frame, { onSkip: (target) => skipped.push(target) }), 1)
  t.same(skipped, [slow])
  t.equal(broadcast([slow], frame), 0, 'skipped without a callback too')
  t.equal(fast.chunks[0].buffer, frame.buffer, 'the frame\'s own bytes, not a copy')
  const tight = new Sink()
  t.equal(broadcast([tight, tight], frame, { maxBuffered: 0 }), 2, 'a socket that keeps up is written to')
})

t.test('batch writers are targets too: the frame joins their tick\'s write', async (t) => {
  const sink = new Sink()
  const writer = new BatchWriter(sink, { side: 'server' })
  writer.writeMessage(OpCode.Text, Buffer.from('own'))
  broadcast([writer], compileFrame(newTextFrame('all')))
  await tick()
  t.equal(sink.chunks.length, 1)
  t.equal(sink.copies[0].toString('latin1'), '\x81\x03own\x81\x03all')
})
