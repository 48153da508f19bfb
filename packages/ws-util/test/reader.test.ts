import { once } from 'node:events'
import { connect } from 'node:net'
import { text } from 'node:stream/consumers'
import t, { type Test } from 'tap'
import WebSocket from 'ws'
import { compileFrame, ErrorCode, newTextFrame, OpCode, ProtocolError, Upgrader } from '@ws-toolkit/ws-core'
import { AbnormalClosureError, acceptSocket, CloseError, type Message, MessageReader } from '../src/index.js'
import { listen, sampleRequest } from './helpers.js'

/** A server that hands each accepted connection's MessageReader to the test, and a ws client. */
async function connection(t: Test, options: Partial<ConstructorParameters<typeof MessageReader>[2]> = {}) {
  const readers: MessageReader[] = []
  const { port } = await listen(t, async (socket) => {
    const accepted = await acceptSocket(socket, new Upgrader())
    readers.push(new MessageReader(accepted.socket, accepted.head, { side: 'server', ...options }))
  })
  const ws = new WebSocket(`ws://127.0.0.1:${port}/`)
  ws.on('error', () => {})
  t.teardown(() => ws.terminate())
  await once(ws, 'open')
  while (readers.length === 0) await new Promise((r) => setImmediate(r))
  return { ws, reader: readers[0], port }
}

/** A server whose readers the test gets, and a raw client socket that records what it receives. */
async function rawConnection(t: Test) {
  const readers: MessageReader[] = []
  const { port } = await listen(t, async (socket) => {
    const accepted = await acceptSocket(socket, new Upgrader())
    readers.push(new MessageReader(accepted.socket, accepted.head, { side: 'server' }))
  })
  const socket = connect(port, '127.0.0.1')
  t.teardown(() => socket.destroy())
  const received: Buffer[] = []
  socket.on('data', (chunk) => received.push(chunk))
  return { readers, socket, received }
}

t.test('messages stream in order: text, binary, fragmented, empty', async (t) => {
  const { ws, reader } = await connection(t)
  ws.send('hello')
  ws.send(Buffer.from([1, 2, 3]))
  ws.send('frag', { fin: false })
  ws.send('mented', { fin: true })
  ws.send('')
  const read = async (): Promise<[number, string]> => {
    const message = await reader.next()
    return [message.opCode, message.opCode === OpCode.Text ? await text(message.stream) : Buffer.concat(await message.stream.toArray()).toString('hex')]
  }
  t.same([await read(), await read(), await read(), await read()], [[1, 'hello'], [2, '010203'], [1, 'fragmented'], [1, '']])
})

t.test('pings are answered with the same payload; the close is echoed and surfaced', async (t) => {
  const { ws, reader } = await connection(t)
  ws.ping(Buffer.from('are you there'))
  const [pong] = (await once(ws, 'pong')) as [Buffer]
  t.equal(pong.toString(), 'are you there')
  const pending = reader.next()
  ws.close(4001, 'bye')
  const error = await pending.catch((e) => e)
  t.ok(error instanceof CloseError)
  t.match(error, { code: 'WS_CLOSED', closeCode: 4001, reason: 'bye' })
  const [code] = await once(ws, 'close')
  t.equal(code, 4001, 'the same code came back')
  await t.rejects(reader.next(), CloseError, 'and stays closed')
})

t.test('a protocol violation closes with its code and rejects next()', async (t) => {
  const { readers, socket, received } = await rawConnection(t)
  // An unmasked frame from a client, right behind the request.
  socket.write(Buffer.concat([Buffer.from(sampleRequest, 'latin1'), compileFrame(newTextFrame('not masked'))]))
  while (readers.length === 0) await new Promise((r) => setImmediate(r))
  const error = await readers[0].next().catch((e) => e)
  t.ok(error instanceof ProtocolError)
  t.equal(error.code, ErrorCode.UnmaskedFrame)
  await once(socket, 'end')
  const all = Buffer.concat(received)
  const close = all.subarray(all.indexOf('\r\n\r\n') + 4)
  t.same([...close.subarray(0, 4)], [0x88, close[1], 0x03, 0xea], 'a close frame with 1002')
})

t.test('next() discards the rest of a message nobody read', async (t) => {
  const { ws, reader } = await connection(t)
  ws.send(Buffer.alloc(300000, 1))
  ws.send('second')
  const first = await reader.next()
  t.equal(first.opCode, OpCode.Binary)
  const second = await reader.next()
  t.equal(await text(second.stream), 'second')
})

t.test('backpressure: a consumer that does not read pauses the socket', async (t) => {
  const { ws, reader } = await connection(t)
  ws.send(Buffer.alloc(16 * 1024 * 1024, 2))
  const message = await reader.next()
  await new Promise((r) => setTimeout(r, 200))
  t.ok(reader.socket.isPaused(), 'the socket is paused')
  t.ok(message.stream.readableLength < 1024 * 1024, `the stream holds ${message.stream.readableLength} bytes of 16 MiB`)
  let length = 0
  for await (const piece of message.stream) length += (piece as Uint8Array).length
  t.equal(length, 16 * 1024 * 1024, 'all of it arrives once read')
})

t.test('messages nobody asked for pause the socket', async (t) => {
  const { ws, reader } = await connection(t)
  for (let i = 0; i < 2000; i++) ws.send(`message ${i}`)
  await new Promise((r) => setTimeout(r, 200))
  t.ok(reader.socket.isPaused())
  const seen: string[] = []
  for (let i = 0; i < 2000; i++) seen.push(await text((await reader.next()).stream))
  t.equal(seen[1999], 'message 1999')
  t.equal(new Set(seen).size, 2000, 'each once, in order')
})

t.test('a connection lost without a close frame is an abnormal closure', async (t) => {
  const { ws, reader } = await connection(t)
  const pending = reader.next()
  ws.terminate()
  const error = await pending.catch((e) => e)
  t.ok(error instanceof AbnormalClosureError)
  t.equal(error.closeCode, 1006)
})

t.test('a custom control handler sees control frames', async (t) => {
  const seen: [number, string][] = []
  const { ws, reader } = await connection(t, { onControl: (_reader, opCode, payload) => seen.push([opCode, Buffer.from(payload).toString()]) })
  ws.ping('p')
  ws.pong('q')
  ws.send('after')
  const message: Message = await reader.next()
  t.equal(await text(message.stream), 'after')
  t.same(seen, [[OpCode.Ping, 'p'], [OpCode.Pong, 'q']])
})

t.test('as a client against a ws server: masked pong, close echoed without ending TCP first', async (t) => {
  const { WebSocketServer } = await import('ws')
  const server = new WebSocketServer({ host: '127.0.0.1', port: 0 })
  await once(server, 'listening')
  t.teardown(() => server.close())
  const pong = new Promise<Buffer>((resolve) => server.on('connection', (ws) => {
    ws.on('pong', resolve)
    ws.ping('ping from ws')
    ws.send('hi client')
  }))
  const { dial } = await import('../src/index.js')
  const dialed = await dial(`ws://127.0.0.1:${(server.address() as { port: number }).port}/`)
  const reader = new MessageReader(dialed.socket, dialed.head, { side: 'client' })
  t.equal(await text((await reader.next()).stream), 'hi client')
  t.equal((await pong).toString(), 'ping from ws', 'ws accepted our masked pong')
  const [client] = [...server.clients]
  const closed = reader.next().catch((e) => e)
  client.close(1000, 'done')
  t.match(await closed, { closeCode: 1000, reason: 'done' })
  const [code] = await once(client, 'close')
  t.equal(code, 1000)
})

t.test('a close with no status code, and data after it, which is dropped', async (t) => {
  const { readers, socket, received } = await rawConnection(t)
  const { maskFrame, newCloseFrame } = await import('@ws-toolkit/ws-core')
  socket.write(Buffer.concat([Buffer.from(sampleRequest, 'latin1'), compileFrame(maskFrame(newCloseFrame())), compileFrame(maskFrame(newTextFrame('too late')))]))
  while (readers.length === 0) await new Promise((r) => setImmediate(r))
  const error = await readers[0].next().catch((e) => e)
  t.match(error, { closeCode: 1005 })
  await once(socket, 'end')
  const all = Buffer.concat(received)
  t.same([...all.subarray(all.indexOf('\r\n\r\n') + 4)], [0x88, 0x00], 'an empty close answered an empty close')
})

t.test('a connection lost mid-message fails the message stream too', async (t) => {
  const { ws, reader } = await connection(t)
  ws.send('part one', { fin: false })
  const message = await reader.next()
  const failed = message.stream.toArray().catch((e) => e)
  ws.terminate()
  t.ok((await failed) instanceof AbnormalClosureError)
})

t.test('a control handler that throws fails the connection with 1011', async (t) => {
  const { ws, reader } = await connection(t, { onControl: () => { throw new Error('handler bug') } })
  ws.ping()
  t.match(await reader.next().catch((e) => e), { message: 'handler bug' })
  const [code] = await once(ws, 'close')
  t.equal(code, 1011)
})

t.test('a close this side starts is sent once; the peer\'s answer ends the reader', async (t) => {
  const { ws, reader } = await connection(t)
  const closing = once(ws, 'close')
  const pending = reader.next().catch((e) => e)
  reader.close(1001, 'going away')
  reader.close(1000, 'a second call sends nothing')
  const [code, reason] = await closing
  t.same([code, String(reason)], [1001, 'going away'])
  t.match(await pending, { closeCode: 1001 }, 'the peer echoed our code')
})

t.test('a socket error ends the reader with its cause', async (t) => {
  const { reader } = await connection(t)
  const pending = reader.next().catch((e) => e)
  reader.socket.destroy(new Error('wire cut'))
  const error = await pending
  t.ok(error instanceof AbnormalClosureError)
  t.match(error.cause, { message: 'wire cut' })
})

t.test('a message failed before anyone read it does not crash the process', async (t) => {
  const { ws, reader } = await connection(t)
  ws.send(Buffer.from([0x41, 0xed, 0xa0, 0x80]), { binary: false })
  const message = await reader.next()
  await new Promise((r) => setTimeout(r, 50))
  t.match(await message.stream.toArray().catch((e) => e), { code: 'WS_INVALID_UTF8' }, 'a late reader still sees the error')
  t.match(await reader.next().catch((e) => e), { code: 'WS_INVALID_UTF8', closeCode: 1007 })
})

t.test('a message that starts arriving while the previous one is read is not discarded', async (t) => {
  const { ws, reader } = await connection(t)
  // Back to back, as a browser sends them: the third is on the wire while the second is read.
  ws.send('first')
  ws.send(Buffer.from([1, 2, 3]))
  ws.send('x'.repeat(70000))
  t.equal(await text((await reader.next()).stream), 'first')
  t.same([...Buffer.concat(await (await reader.next()).stream.toArray())], [1, 2, 3])
  t.equal((await text((await reader.next()).stream)).length, 70000)
})

t.test('a peer that floods pings and never reads cannot make pongs pile up (§5.5.3)', async (t) => {
  const { readers, socket } = await rawConnection(t)
  const { compileFrame, maskFrameWith, newPingFrame } = await import('@ws-toolkit/ws-core')
  socket.pause() // never read: the server's pongs back up
  socket.write(Buffer.from(sampleRequest, 'latin1'))
  while (readers.length === 0) await new Promise((r) => setImmediate(r))
  const ping = Buffer.from(compileFrame(maskFrameWith(newPingFrame(new Uint8Array(125).fill(1)), 0x01020304)))
  const batch = Buffer.concat(Array.from({ length: 1000 }, () => ping))
  // 131 MB of pings: far more pongs than the kernel's buffers hold.
  for (let i = 0; i < 1000; i++) if (!socket.write(batch)) await once(socket, 'drain')
  await new Promise((r) => setTimeout(r, 100))
  // PongGate writes a pong only while the socket needs no drain, i.e. while fewer than its
  // writableHighWaterMark bytes are queued (the default differs between Node versions), and
  // keeps the latest ping's payload otherwise: at most one pong frame past the mark.
  const { writableLength: queued, writableHighWaterMark } = readers[0].socket
  const pongFrame = 2 + 125
  t.ok(queued < writableHighWaterMark + pongFrame, `${queued} bytes of pongs queued for 1,000,000 pings (high-water mark ${writableHighWaterMark})`)
  // Once the peer reads, the latest ping's pong arrives: the last frame received is a pong.
  const received: Buffer[] = []
  socket.on('data', (chunk: Buffer) => received.push(chunk))
  socket.resume()
  await new Promise((r) => setTimeout(r, 200))
  const all = Buffer.concat(received)
  t.same([...all.subarray(all.length - 127, all.length - 125)], [0x8a, 125], 'ends with a pong of the ping\'s payload')
})

t.test('a message that ended while the socket was paused does not leave it paused', async (t) => {
  // The first message fills its stream past the high-water mark (the socket is paused) and
  // ends; the next header is split across chunks. The reader must resume the socket when
  // asked for the next message, or the second chunk is never read.
  const { Duplex } = await import('node:stream')
  const { compileFrame, maskFrame, newBinaryFrame } = await import('@ws-toolkit/ws-core')
  const frame = compileFrame(maskFrame(newBinaryFrame(new Uint8Array(16385).fill(9))))
  const both = Buffer.concat([frame, frame])
  const split = frame.length + 7
  const chunks = [both.subarray(0, split), both.subarray(split)]
  const socket = new Duplex({
    read() {
      const chunk = chunks.shift()
      if (chunk !== undefined) this.push(chunk)
    },
    write(_chunk, _encoding, callback) {
      callback()
    },
  })
  const reader = new MessageReader(socket, new Uint8Array(0), { side: 'server' })
  const first = await reader.next()
  t.equal(Buffer.concat(await first.stream.toArray()).length, 16385)
  const second = await reader.next()
  t.equal(Buffer.concat(await second.stream.toArray()).length, 16385)
})

t.test('after this side\'s close, pings are not answered: nothing follows a close (§5.5.1)', async (t) => {
  const { Wire } = await import('./helpers.js')
  const { compileFrame, newPingFrame } = await import('@ws-toolkit/ws-core')
  const wire = new Wire()
  t.teardown(() => wire.destroy())
  const reader = new MessageReader(wire, new Uint8Array(0), { side: 'client' })
  reader.next().catch(() => {})
  reader.close(1000)
  wire.feed(compileFrame(newPingFrame('late')))
  await new Promise((r) => setImmediate(r))
  t.equal(wire.written.length, 1, 'the close frame only')
  t.equal(wire.written[0][0], 0x88)
})
