import { once } from 'node:events'
import { connect, type Socket } from 'node:net'
import t, { type Test } from 'tap'
import WebSocket from 'ws'
import { type Header, OpCode, Upgrader } from '@ws-toolkit/ws-core'
import { acceptSocket, FrameDecoder, MessageWriter } from '../src/index.js'
import { listen } from './helpers.js'

/** A connected pair of loopback sockets: `ours` writes, `peer` receives. */
async function socketPair(t: Test): Promise<{ ours: Socket; peer: Socket }> {
  const accepted: Socket[] = []
  const { port } = await listen(t, (socket) => accepted.push(socket))
  const peer = connect(port, '127.0.0.1')
  t.teardown(() => peer.destroy())
  await once(peer, 'connect')
  while (accepted.length === 0) await new Promise((r) => setImmediate(r))
  const ours = accepted[0]
  t.teardown(() => ours.destroy())
  return { ours, peer }
}

/** Decodes what `peer` receives as `side` would, recording frame headers and messages. */
function receive(peer: Socket, side: 'server' | 'client') {
  const frames: Header[] = []
  const messages: { opCode: number; data: Buffer }[] = []
  let pieces: Buffer[] = []
  const decoder = new FrameDecoder(side, {
    onDataFrame: (header) => frames.push({ ...header }),
    onData: (payload) => pieces.push(Buffer.from(payload)),
    onMessageEnd: (opCode) => {
      messages.push({ opCode, data: Buffer.concat(pieces) })
      pieces = []
    },
    onControl: () => {},
  })
  peer.on('data', (chunk) => decoder.push(chunk))
  return { frames, messages, until: async (count: number) => { while (messages.length < count) await new Promise((r) => setTimeout(r, 5)) } }
}

async function writeAll(writer: MessageWriter, chunks: (string | Buffer)[]) {
  for (const chunk of chunks) if (!writer.write(chunk)) await once(writer, 'drain')
  writer.end()
  await once(writer, 'finish')
}

t.test('a short message is one frame, header and payload in one write', async (t) => {
  const { ours, peer } = await socketPair(t)
  const writes: number[] = []
  const write = ours.write.bind(ours)
  ours.write = ((chunk: Uint8Array, cb?: () => void) => (writes.push(chunk.length), write(chunk, cb))) as typeof ours.write
  const got = receive(peer, 'client')
  await writeAll(new MessageWriter(ours, { side: 'server', opCode: OpCode.Text }), ['hello ', 'world'])
  await got.until(1)
  t.same(got.messages, [{ opCode: OpCode.Text, data: Buffer.from('hello world') }])
  t.same(got.frames.map((f) => [f.fin, f.opCode, f.length]), [[true, OpCode.Text, 11]])
  t.same(writes, [13], 'one socket write of 2 + 11 bytes')
})

t.test('fragments at frameSize: opcode, then continuations, FIN last', async (t) => {
  const { ours, peer } = await socketPair(t)
  const got = receive(peer, 'client')
  const data = Buffer.from('abcdefghijklmnopqrstuvwxyz0123456789'.slice(0, 35))
  await writeAll(new MessageWriter(ours, { side: 'server', opCode: OpCode.Text, frameSize: 10 }), [0, 7, 14, 21, 28].map((i) => data.subarray(i, i + 7)))
  await got.until(1)
  t.same(got.frames.map((f) => [f.fin, f.opCode, f.length]), [[false, 1, 10], [false, 0, 10], [false, 0, 10], [true, 0, 5]])
  t.same(got.messages[0].data, data)
})

t.test('a message that fills its last frame exactly ends with an empty FIN frame; an empty message is one', async (t) => {
  const { ours, peer } = await socketPair(t)
  const got = receive(peer, 'client')
  await writeAll(new MessageWriter(ours, { side: 'server', frameSize: 4 }), [Buffer.from([1, 2]), Buffer.from([3, 4, 5, 6, 7, 8])])
  await writeAll(new MessageWriter(ours, { side: 'server', opCode: OpCode.Text }), [])
  await got.until(2)
  t.same(got.frames.map((f) => [f.fin, f.opCode, f.length]), [[false, 2, 4], [false, 0, 4], [true, 0, 0], [true, 1, 0]])
  t.same(got.messages.map((m) => [m.opCode, [...m.data]]), [[2, [1, 2, 3, 4, 5, 6, 7, 8]], [1, []]])
})

t.test('a client masks each frame with a fresh key and never touches the caller\'s bytes', async (t) => {
  const { ours, peer } = await socketPair(t)
  const got = receive(peer, 'server')
  const data = Buffer.from('the caller keeps these bytes as they are')
  const copy = Buffer.from(data)
  await writeAll(new MessageWriter(ours, { side: 'client', frameSize: 8 }), [data])
  await got.until(1)
  t.same(got.messages[0].data, copy)
  t.same(data, copy, 'unchanged')
  t.ok(got.frames.every((f) => f.masked && f.mask !== 0))
  t.equal(new Set(got.frames.map((f) => f.mask)).size, got.frames.length, 'a new key per frame')
})

t.test('a server sends a large chunk as its own frame without copying it', async (t) => {
  const { ours, peer } = await socketPair(t)
  const got = receive(peer, 'client')
  const big = Buffer.alloc(100, 7)
  await writeAll(new MessageWriter(ours, { side: 'server', frameSize: 10 }), [big, Buffer.from([1, 2, 3])])
  await got.until(1)
  t.same(got.frames.map((f) => [f.fin, f.opCode, f.length]), [[false, 2, 100], [true, 0, 3]])
  t.equal(got.messages[0].data.length, 103)
})

t.test('backpressure: a peer that stops reading stops the writer; memory stays bounded', async (t) => {
  const { ours, peer } = await socketPair(t)
  peer.pause()
  const writer = new MessageWriter(ours, { side: 'server', frameSize: 65536 })
  const chunk = Buffer.alloc(65536, 1)
  let written = 0
  while (writer.write(chunk)) written += chunk.length
  written += chunk.length
  // Give the writer every chance to run ahead; it must not.
  await new Promise((r) => setTimeout(r, 100))
  t.ok(written < 64 * 1024 * 1024, `write() said stop after ${written} bytes`)
  t.ok(writer.writableLength <= 2 * 65536, `writer holds ${writer.writableLength} bytes`)
  t.ok(ours.writableLength <= 65536 + 14, `socket holds ${ours.writableLength} bytes beyond the kernel`)
  const got = receive(peer, 'client')
  peer.resume()
  writer.end()
  await got.until(1)
  t.equal(got.messages[0].data.length, written, 'every byte arrived once the peer read again')
})

t.test('the ws client receives a fragmented text message from a MessageWriter', async (t) => {
  const upgrader = new Upgrader()
  let writer: MessageWriter | undefined
  const { port } = await listen(t, async (socket) => {
    const accepted = await acceptSocket(socket, upgrader)
    writer = new MessageWriter(accepted.socket, { side: 'server', opCode: OpCode.Text, frameSize: 5 })
    accepted.socket.resume()
    await writeAll(writer, ['κόσμε ', 'and more'])
  })
  const ws = new WebSocket(`ws://127.0.0.1:${port}/`)
  const [data, isBinary] = (await once(ws, 'message')) as [Buffer, boolean]
  t.equal(isBinary, false)
  t.equal(data.toString(), 'κόσμε and more')
  ws.terminate()
})

t.test('a socket that fails fails the writer', async (t) => {
  const { ours } = await socketPair(t)
  const writer = new MessageWriter(ours, { side: 'server', frameSize: 4 })
  ours.destroy()
  writer.write(Buffer.from([1, 2, 3, 4, 5]))
  const [error] = await once(writer, 'error')
  t.match(error, { code: 'ERR_STREAM_DESTROYED' })
})

t.test('options are checked', async (t) => {
  const { ours } = await socketPair(t)
  t.throws(() => new MessageWriter(ours, { side: 'server', opCode: OpCode.Ping }), RangeError)
  t.throws(() => new MessageWriter(ours, { side: 'server', frameSize: 0 }), RangeError)
})
