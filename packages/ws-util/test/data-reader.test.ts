import { once } from 'node:events'
import fc from 'fast-check'
import t, { type Test } from 'tap'
import WebSocket, { WebSocketServer } from 'ws'
import { compileFrame, encodeCloseBody, maskFrameWith, newFrame, OpCode, Upgrader } from '@ws-toolkit/ws-core'
import {
  AbnormalClosureError, acceptSocket, BatchWriter, CloseError, DataReader, dial, readClientData, readServerData,
} from '../src/index.js'
import { listen, tick, Wire } from './helpers.js'

const frame = (opCode: number, fin: boolean, payload: Uint8Array | string, mask = 0x1a2b3c4d): Uint8Array => {
  const bytes = typeof payload === 'string' ? new TextEncoder().encode(payload) : payload
  return compileFrame(maskFrameWith(newFrame(opCode, fin, bytes), mask))
}
const hex = (b: Uint8Array) => Buffer.from(b).toString('hex')

/** A server-side reader on a Wire, recording messages (hex) and how it ended. */
function reader(t: Test, handler: Partial<ConstructorParameters<typeof DataReader>[2]> = {}, head = new Uint8Array(0)) {
  const wire = new Wire()
  const messages: [number, string][] = []
  const views: Uint8Array[] = []
  const closed: Error[] = []
  const data = readClientData(wire, head, {
    onMessage: (opCode, bytes) => {
      messages.push([opCode, hex(bytes)])
      views.push(bytes)
    },
    onClose: (reason) => closed.push(reason),
    ...handler,
  })
  t.teardown(() => wire.destroy())
  return { wire, data, messages, views, closed }
}

t.test('a message whole in one chunk is a view of it; split ones are joined once', async (t) => {
  const { wire, messages, views } = reader(t)
  const whole = frame(OpCode.Text, true, 'Hello')
  wire.feed(whole)
  const split = frame(OpCode.Binary, true, new Uint8Array(3000).fill(5))
  wire.feed(split.subarray(0, 1000), split.subarray(1000))
  wire.feed(Buffer.concat([frame(OpCode.Text, false, 'frag'), frame(OpCode.Continuation, false, ''), frame(OpCode.Continuation, true, 'mented')]))
  const fragment = frame(OpCode.Binary, false, new Uint8Array(100).fill(1))
  wire.feed(fragment, frame(OpCode.Continuation, true, new Uint8Array(0)))
  wire.feed(frame(OpCode.Text, true, ''))
  await tick()
  t.same(messages, [[1, hex(Buffer.from('Hello'))], [2, '05'.repeat(3000)], [1, hex(Buffer.from('fragmented'))], [2, '01'.repeat(100)], [1, '']])
  t.equal(views[0].buffer, whole.buffer, 'a view of the chunk')
  t.not(views[1].buffer, split.buffer, 'joined')
  t.equal(views[3].buffer, fragment.buffer, 'a single non-empty fragment is still a view of its chunk')
})

t.test('head bytes are read first; the reader resumes a paused socket', async (t) => {
  const wire = new Wire()
  wire.pause()
  const messages: string[] = []
  readClientData(wire, frame(OpCode.Text, true, 'early'), { onMessage: (_op, data) => messages.push(Buffer.from(data).toString()) })
  wire.feed(frame(OpCode.Text, true, 'later'))
  await tick()
  t.same(messages, ['early', 'later'])
})

t.test('a message in thousands of fragments is gathered as it comes, and comes out whole', async (t) => {
  const { wire, messages } = reader(t)
  // 1024 two-byte fragments, 1024 one-byte ones, then ten bytes: the held pieces are gathered
  // twice on the way (the buffer doubling past the message's final size) and once at the end.
  const payloads = [...Array.from({ length: 1024 }, (_, i) => [i & 0xff, 1]), ...Array.from({ length: 1024 }, (_, i) => [i & 0x7f]), [9, 9, 9, 9, 9, 9, 9, 9, 9, 9]]
  const parts = payloads.map((p, i) => frame(i === 0 ? OpCode.Binary : OpCode.Continuation, i === payloads.length - 1, Uint8Array.from(p)))
  wire.feed(Buffer.concat(parts))
  await tick()
  t.equal(messages.length, 1)
  t.equal(messages[0][1], hex(Uint8Array.from(payloads.flat())))
})

t.test('one-byte fragments in large chunks: the reader holds bytes, not the chunks', async (t) => {
  const { setFlagsFromString } = await import('node:v8')
  const { runInNewContext } = await import('node:vm')
  setFlagsFromString('--expose-gc')
  const gc = runInNewContext('gc') as () => void
  const { wire, messages } = reader(t)
  // Each chunk: a one-byte fragment, then 64 KiB of unsolicited pongs (ignored).
  const pongs = Buffer.concat(Array.from({ length: 500 }, () => frame(OpCode.Pong, true, new Uint8Array(125))))
  wire.feed(frame(OpCode.Binary, false, new Uint8Array([0])))
  await tick()
  gc()
  const before = process.memoryUsage().arrayBuffers
  for (let i = 0; i < 500; i++) {
    wire.feed(Buffer.concat([frame(OpCode.Continuation, false, new Uint8Array([1])), pongs]))
    if (i % 50 === 0) await tick()
  }
  await tick()
  gc()
  const held = process.memoryUsage().arrayBuffers - before
  t.ok(held < 8 * 1024 * 1024, `${(held / 1048576).toFixed(1)} MiB held for 500 bytes of message in 32 MiB of chunks`)
  wire.feed(frame(OpCode.Continuation, true, new Uint8Array([2])))
  await tick()
  t.equal(messages[0][1], '00' + '01'.repeat(500) + '02')
})

t.test('limits apply: a message over maxMessageSize fails the connection with 1009', async (t) => {
  const wire = new Wire()
  const closed: Error[] = []
  readClientData(wire, new Uint8Array(0), { onMessage: () => t.fail('no message'), onClose: (e) => closed.push(e) }, { limits: { maxMessageSize: 100 } })
  wire.feed(frame(OpCode.Binary, false, new Uint8Array(60)), frame(OpCode.Continuation, true, new Uint8Array(60)))
  await tick()
  t.equal(hex(wire.bytes()), '880203f1')
  t.match(closed[0], { code: 'WS_MESSAGE_TOO_LARGE', closeCode: 1009 })
})

t.test('once ended by a handler, nothing more is read or answered', async (t) => {
  const { wire, messages, closed } = reader(t, { onControl: (data) => data.end(new Error('done here')) })
  wire.feed(frame(OpCode.Ping, true, ''))
  wire.feed(frame(OpCode.Text, true, 'ignored'))
  await tick()
  t.same(messages, [])
  t.same(closed.map((e) => e.message), ['done here'])
  t.equal(wire.written.length, 0)
})

t.test('property: the same messages whatever the chunking and fragmentation', async (t) => {
  const arbitraryMessages = fc.array(fc.record({
    fragments: fc.array(fc.uint8Array({ size: 'max', maxLength: 2000 }), { minLength: 1, maxLength: 4 }),
    ping: fc.boolean(),
  }), { minLength: 1, maxLength: 6 })
  await fc.assert(fc.asyncProperty(arbitraryMessages, fc.array(fc.integer({ min: 1, max: 3000 }), { size: 'max', minLength: 1, maxLength: 10 }),
    async (messages, sizes) => {
      const wire = new Wire()
      const got: string[] = []
      readClientData(wire, new Uint8Array(0), { onMessage: (_op, data) => got.push(hex(data)) })
      const parts = messages.flatMap(({ fragments, ping }) => fragments.flatMap((f, i) => [
        frame(i === 0 ? OpCode.Binary : OpCode.Continuation, i === fragments.length - 1, f),
        ...(ping && i < fragments.length - 1 ? [frame(OpCode.Ping, true, 'p')] : []),
      ]))
      const bytes = Buffer.concat(parts)
      for (let offset = 0, i = 0; offset < bytes.length; offset += sizes[i++ % sizes.length]) wire.feed(bytes.subarray(offset, offset + sizes[i % sizes.length]))
      await tick()
      wire.destroy()
      return JSON.stringify(got) === JSON.stringify(messages.map((m) => hex(Buffer.concat(m.fragments))))
    }), { numRuns: 200 })
  t.pass()
})

t.test('pings are answered through the writer; pongs ignored; the close echoed and surfaced', async (t) => {
  const { wire, data, closed } = reader(t)
  wire.feed(frame(OpCode.Ping, true, 'are you there'), frame(OpCode.Pong, true, 'unsolicited'))
  await tick()
  t.equal(hex(wire.bytes()), '8a0d' + hex(Buffer.from('are you there')))
  wire.feed(frame(OpCode.Close, true, encodeCloseBody(4001, 'bye')))
  await tick()
  t.equal(hex(wire.bytes().subarray(15)), '8802' + '0fa1', 'the same code back, no reason')
  t.equal(wire.writableEnded, true, 'a server ends TCP after the close')
  t.equal(closed.length, 1)
  t.ok(closed[0] instanceof CloseError)
  t.match(closed[0], { closeCode: 4001, reason: 'bye' })
  wire.feed(frame(OpCode.Text, true, 'after the close'))
  await tick()
  t.equal(closed.length, 1, 'ended once; nothing read after it')
})

t.test('a close with no code is answered with none', async (t) => {
  const { wire, closed } = reader(t)
  wire.feed(Buffer.concat([frame(OpCode.Close, true, ''), frame(OpCode.Text, true, 'dropped')]))
  await tick()
  t.equal(hex(wire.bytes()), '8800')
  t.match(closed[0], { closeCode: 1005 })
})

t.test('a protocol violation fails the connection with its close code', async (t) => {
  const { wire, closed, messages } = reader(t)
  wire.feed(frame(OpCode.Text, true, new Uint8Array([0x41, 0xff])))
  await tick()
  t.equal(hex(wire.bytes()), '880203ef', '1007')
  t.match(closed[0], { code: 'WS_INVALID_UTF8', closeCode: 1007 })
  t.same(messages, [])
})

t.test('a control handler that throws fails the connection with 1011', async (t) => {
  const { wire, closed } = reader(t, { onControl: () => { throw new Error('bug') } })
  wire.feed(frame(OpCode.Ping, true, ''))
  await tick()
  t.equal(hex(wire.bytes()), '880203f3')
  t.match(closed[0], { message: 'bug' })
})

t.test('a custom control handler sees control frames, and can defer to the default', async (t) => {
  const seen: number[] = []
  const { wire } = reader(t, {
    onControl: (data, opCode, payload) => {
      seen.push(opCode)
      DataReader.defaultControl(data, opCode, payload)
    },
  })
  wire.feed(frame(OpCode.Ping, true, 'x'), frame(OpCode.Pong, true, ''))
  await tick()
  t.same(seen, [9, 10])
  t.equal(hex(wire.bytes()), '8a0178')
})

t.test('a handler object\'s methods are called on it, onControl included', async (t) => {
  class Recorder {
    readonly seen: string[] = []
    onMessage(opCode: number) {
      this.seen.push(`message ${opCode}`)
    }
    onControl(data: DataReader, opCode: number, payload: Uint8Array) {
      this.seen.push(`control ${opCode}`)
      DataReader.defaultControl(data, opCode, payload)
    }
    onClose() {
      this.seen.push('close')
    }
  }
  const wire = new Wire()
  t.teardown(() => wire.destroy())
  const recorder = new Recorder()
  readClientData(wire, new Uint8Array(0), recorder)
  wire.feed(frame(OpCode.Text, true, 'a'), frame(OpCode.Ping, true, 'x'))
  await tick()
  wire.destroy()
  await tick()
  t.same(recorder.seen, ['message 1', 'control 9', 'close'])
  t.equal(hex(wire.bytes()), '8a0178', 'the ping answered')
})

t.test('a socket that closes or fails without a close frame is an abnormal closure', async (t) => {
  const first = reader(t)
  first.wire.destroy()
  await tick()
  t.ok(first.closed[0] instanceof AbnormalClosureError)
  const second = reader(t)
  second.wire.destroy(new Error('wire cut'))
  await tick()
  t.ok(second.closed[0] instanceof AbnormalClosureError)
  t.match((second.closed[0] as Error).cause, { message: 'wire cut' })
  t.equal(second.closed.length, 1, 'once, though close follows the error')
})

t.test('close() sends one close frame; a server ends TCP, a client waits', async (t) => {
  const server = reader(t)
  server.data.close(1001, 'going away')
  server.data.close(1000)
  await tick()
  t.equal(hex(server.wire.bytes()), '880c03e9' + hex(Buffer.from('going away')))
  t.equal(server.wire.writableEnded, true)
  const wire = new Wire()
  const client = readServerData(wire, new Uint8Array(0), { onMessage: () => {} })
  client.close(1000)
  await tick()
  t.equal(wire.bytes().subarray(0, 2).toString('hex'), '8882', 'masked close')
  t.equal(wire.writableEnded, false, 'a client waits for the server to end TCP')
  client.writer.writeMessage(OpCode.Text, Buffer.from('after the close'))
  await tick()
  t.equal(wire.bytes().length, 8, 'nothing follows the close frame')
  client.pong(Buffer.from('late'))
  await tick()
  t.equal(wire.bytes().length, 8, 'no pong after the close either, even from a reader that never ponged before')
  wire.destroy()
})

t.test('an idle reader holds no pong gate, no control or header buffer: they are made when needed (issue 14)', async (t) => {
  const { wire, data } = reader(t)
  const inside = data as unknown as { pongs: unknown; decoder: { controlBytes: unknown; headerBytes: unknown } }
  t.equal(inside.pongs, null)
  t.equal(inside.decoder.controlBytes, null)
  t.equal(inside.decoder.headerBytes, null)
  // A whole control frame in one chunk is read where it lies; split, it is buffered.
  wire.feed(frame(OpCode.Ping, true, 'whole'))
  await tick()
  t.not(inside.pongs, null, 'the first ping made the gate')
  t.equal(inside.decoder.controlBytes, null, 'a whole ping needs no buffer')
  const split = frame(OpCode.Ping, true, 'split ping')
  wire.feed(split.subarray(0, 1), split.subarray(1, 8), split.subarray(8))
  await tick()
  t.not(inside.decoder.headerBytes, null, 'a header split across chunks made its buffer')
  t.not(inside.decoder.controlBytes, null, 'a control frame split across chunks made its buffer')
  t.equal(hex(wire.bytes()), '8a05' + hex(Buffer.from('whole')) + '8a0a' + hex(Buffer.from('split ping')))
})

t.test('a close in the head bytes reaches the handler after the constructor returns', async (t) => {
  const wire = new Wire()
  let reader: DataReader | undefined
  const seen: string[] = []
  reader = readClientData(wire, Buffer.concat([frame(OpCode.Text, true, 'hi'), frame(OpCode.Close, true, encodeCloseBody(1000))]), {
    onMessage: () => seen.push(reader === undefined ? 'message inside the constructor' : 'message'),
    onClose: () => seen.push(reader === undefined ? 'close inside the constructor' : 'close'),
  })
  t.same(seen, [])
  await tick()
  t.same(seen, ['message', 'close'])
})

t.test('a peer that ends TCP without a close frame: an abnormal closure, and this side ends too', async (t) => {
  const wire = new Wire({ allowHalfOpen: true })
  const closed: Error[] = []
  readClientData(wire, new Uint8Array(0), { onMessage: () => {}, onClose: (e) => closed.push(e) })
  await tick()
  wire.push(null) // the peer's FIN
  await tick()
  t.ok(closed[0] instanceof AbnormalClosureError)
  t.equal(wire.writableEnded, true, 'not left half-open')
})

t.test('close() with a bad reason throws and sends nothing; the peer\'s close is still answered', async (t) => {
  const { wire, data, closed } = reader(t)
  t.throws(() => data.close(1000, 'x'.repeat(124)), RangeError)
  wire.feed(frame(OpCode.Close, true, encodeCloseBody(1001)))
  await tick()
  t.equal(hex(wire.bytes()), '880203e9')
  t.match(closed[0], { closeCode: 1001 })
})

t.test('pongs wait for drain while the socket is backed up, latest only', async (t) => {
  const wire = new Wire({ highWaterMark: 1 })
  const writer = new BatchWriter(wire, { side: 'server' })
  readClientData(wire, new Uint8Array(0), { onMessage: () => {} }, { writer })
  // Hold the write side: the Wire's writes complete only when the test says.
  const held: (() => void)[] = []
  wire._write = (chunk: Buffer, _e: BufferEncoding, callback: () => void) => {
    wire.written.push(Buffer.from(chunk))
    held.push(callback)
  }
  writer.writeMessage(OpCode.Binary, new Uint8Array(10))
  writer.flush()
  t.equal(wire.writableNeedDrain, true)
  wire.feed(frame(OpCode.Ping, true, 'one'), frame(OpCode.Ping, true, 'two'), frame(OpCode.Ping, true, 'three'))
  await tick()
  t.equal(wire.written.length, 1, 'no pong while backed up')
  while (held.length > 0) {
    held.shift()!()
    await tick()
  }
  t.equal(hex(Buffer.concat(wire.written.slice(1))), '8a05' + hex(Buffer.from('three')), 'one pong, for the latest ping')
  wire.destroy()
})

t.test('against real peers: a ws client to our server, our client to a ws server', async (t) => {
  const { port } = await listen(t, async (socket) => {
    const accepted = await acceptSocket(socket, new Upgrader())
    const writer = new BatchWriter(accepted.socket, { side: 'server' })
    readClientData(accepted.socket, accepted.head, { onMessage: (opCode, data) => writer.writeMessage(opCode, data) }, { writer })
  })
  const ws = new WebSocket(`ws://127.0.0.1:${port}/`)
  t.teardown(() => ws.terminate())
  await once(ws, 'open')
  const big = Buffer.alloc(1 << 20, 'abc')
  ws.send('hello')
  ws.send(big)
  const replies: Buffer[] = []
  ws.on('message', (data: Buffer) => replies.push(data))
  while (replies.length < 2) await new Promise((r) => setTimeout(r, 5))
  t.equal(replies[0].toString(), 'hello')
  t.ok(replies[1].equals(big), '1 MiB back, byte for byte')
  ws.close(1000)
  const [code] = (await once(ws, 'close')) as [number]
  t.equal(code, 1000)

  const wss = new WebSocketServer({ host: '127.0.0.1', port: 0 })
  t.teardown(() => wss.close())
  await once(wss, 'listening')
  wss.on('connection', (peer) => peer.on('message', (data, isBinary) => peer.send(data, { binary: isBinary })))
  const { socket, head } = await dial(`ws://127.0.0.1:${(wss.address() as { port: number }).port}/`)
  t.teardown(() => socket.destroy())
  const got: string[] = []
  const closed: Error[] = []
  const client = readServerData(socket, head, { onMessage: (_op, data) => got.push(Buffer.from(data).toString()), onClose: (e) => closed.push(e) })
  client.writer.writeMessage(OpCode.Text, Buffer.from('ping me'))
  while (got.length < 1) await new Promise((r) => setTimeout(r, 5))
  t.same(got, ['ping me'])
  client.close(1000, 'done')
  await new Promise((r) => socket.on('close', r))
  t.ok(closed[0] instanceof CloseError)
  t.match(closed[0], { closeCode: 1000 })
})
