import { randomBytes } from 'node:crypto'
import { once } from 'node:events'
import t, { type Test } from 'tap'
import WebSocket, { WebSocketServer } from 'ws'
import {
  cipher, compileFrame, type Extension, InvalidPayloadError, LimitError, maskFrameWith, newFrame, newHeader, OpCode, ProtocolError, readHeader, Rsv1, Upgrader,
} from '@ws-toolkit/ws-core'
import { acceptSocket, BatchWriter, dial, MessageReader, MessageWriter, readClientData, readServerData } from '../src/index.js'
import { listen, oneShotCompression, Sink, tick, Wire } from './helpers.js'

const hex = (b: Uint8Array) => Buffer.from(b).toString('hex')
const text = (b: Uint8Array) => Buffer.from(b).toString()

/** frames parses what a writer sent: each frame's FIN, RSV bits, opcode and unmasked payload. */
function frames(bytes: Uint8Array): { fin: boolean; rsv: number; opCode: number; payload: Buffer }[] {
  const out = []
  let offset = 0
  while (offset < bytes.length) {
    const header = newHeader()
    offset += readHeader(bytes, offset, header)
    const payload = Buffer.from(bytes.subarray(offset, offset + header.length))
    if (header.masked) cipher(payload, header.mask, 0)
    offset += header.length
    out.push({ fin: header.fin, rsv: header.rsv, opCode: header.opCode, payload })
  }
  return out
}

/** RFC 7692 §7.2.3's examples, each the message "Hello" as a server sends it (unmasked). */
const rfcHello = {
  '7.2.3.1 one compressed frame': 'c107f248cdc9c90700',
  '7.2.3.2 fragmented': '4103f248cd8004c9c90700',
  '7.2.3.3 no compression (a stored block)': 'c10b000500faff48656c6c6f00',
  '7.2.3.4 a BFINAL block': 'c108f348cdc9c9070000',
}

t.test('RFC 7692 §7.2.3 examples decompress in a DataReader, split at every byte', async (t) => {
  const stream = Buffer.from(Object.values(rfcHello).join(''), 'hex')
  for (let split = 0; split <= stream.length; split++) {
    const wire = new Wire()
    const { decompressor } = oneShotCompression()
    const messages: [number, string, boolean][] = []
    readServerData(wire, new Uint8Array(0), { onMessage: (opCode, data, compressed) => messages.push([opCode, text(data), compressed]) }, { decompressor })
    wire.feed(stream.subarray(0, split), stream.subarray(split))
    await tick()
    t.same(messages, Array(4).fill([OpCode.Text, 'Hello', false]), `split at ${split}`)
  }
})

t.test('RFC 7692 §7.2.3 examples decompress in a MessageReader', async (t) => {
  const wire = new Wire()
  const { decompressor } = oneShotCompression()
  const reader = new MessageReader(wire, new Uint8Array(0), { side: 'client', decompressor })
  wire.feed(Buffer.from(Object.values(rfcHello).join(''), 'hex'))
  for (let i = 0; i < 4; i++) {
    const message = await reader.next()
    t.equal(message.compressed, false)
    t.equal(Buffer.concat(await message.stream.toArray()).toString(), 'Hello')
  }
  wire.destroy()
})

/** A server-side DataReader with a decompressor, on a Wire. */
function inflatingReader(t: Test, options: { limit?: number; pieceSize?: number } = {}) {
  const wire = new Wire()
  const { decompressor } = oneShotCompression({ pieceSize: options.pieceSize })
  const messages: [number, string][] = []
  const closed: Error[] = []
  readClientData(wire, new Uint8Array(0), {
    onMessage: (opCode, data) => messages.push([opCode, hex(data)]),
    onClose: (reason) => closed.push(reason),
  }, { decompressor, limits: options.limit === undefined ? undefined : { maxMessageSize: options.limit } })
  t.teardown(() => wire.destroy())
  return { wire, messages, closed }
}

/** compressed is a client's frame carrying `payload` compressed, RSV1 set. */
function compressed(opCode: number, payload: Uint8Array): Uint8Array {
  const frame = newFrame(opCode, true, oneShotCompression().compressor.compress(payload)!.slice())
  frame.header.rsv = Rsv1
  return compileFrame(maskFrameWith(frame, 0x01020304))
}

t.test('decompressed text is checked as UTF-8: a bad byte fails the connection with 1007', async (t) => {
  for (const [bytes, why] of [[Buffer.from('ok \xff', 'latin1'), 'an invalid byte'], [Buffer.from('é').subarray(0, 1), 'a character cut short']] as const) {
    const { wire, messages, closed } = inflatingReader(t)
    wire.feed(compressed(OpCode.Text, Buffer.from('fine')), compressed(OpCode.Text, bytes))
    await tick()
    t.same(messages, [[OpCode.Text, hex(Buffer.from('fine'))]], why)
    t.type(closed[0], InvalidPayloadError)
    t.equal(hex(wire.bytes()), '880203ef', 'close 1007')
  }
  const { wire, messages } = inflatingReader(t)
  wire.feed(compressed(OpCode.Binary, Buffer.from([0xff])))
  await tick()
  t.same(messages, [[OpCode.Binary, 'ff']], 'binary is not checked')
})

t.test('the message limit counts decompressed bytes: 1009 while inflating', async (t) => {
  const { wire, messages, closed } = inflatingReader(t, { limit: 1000, pieceSize: 100 })
  wire.feed(compressed(OpCode.Binary, new Uint8Array(1000)), compressed(OpCode.Binary, new Uint8Array(1001)))
  await tick()
  t.same(messages, [[OpCode.Binary, '00'.repeat(1000)]])
  t.type(closed[0], LimitError)
  t.equal(hex(wire.bytes()), '880203f1', 'close 1009')
})

t.test('nothing is decompressed once the reader has ended (a close and a compressed frame in one chunk)', async (t) => {
  const wire = new Wire()
  const { decompressor } = oneShotCompression()
  // A closed zlib stream used again aborts the process (a native assertion): here, counted.
  let closedEngine = false
  let usedAfterClose = 0
  const guarded = {
    write: (piece: Uint8Array, sink: (chunk: Uint8Array) => void) => {
      if (closedEngine) usedAfterClose++
      decompressor.write(piece, sink)
    },
    end: (sink: (chunk: Uint8Array) => void) => {
      if (closedEngine) usedAfterClose++
      decompressor.end(sink)
    },
  }
  const closed: Error[] = []
  const messages: string[] = []
  readClientData(wire, new Uint8Array(0), {
    onMessage: (_op, data) => messages.push(text(data)),
    onClose: (reason) => {
      closed.push(reason)
      closedEngine = true // as an application frees its decompressor when the connection ends
    },
  }, { decompressor: guarded })
  const fragment = newFrame(OpCode.Text, false, Buffer.from('f248cd', 'hex'))
  fragment.header.rsv = Rsv1
  wire.feed(Buffer.concat([compressed(OpCode.Text, Buffer.from('before')), compileFrame(maskFrameWith(fragment, 7)), compileFrame(maskFrameWith(newFrame(OpCode.Close, true, Buffer.from([3, 232])), 9)),
    compileFrame(maskFrameWith(newFrame(OpCode.Continuation, true, Buffer.from('c9c90700', 'hex')), 5)), compressed(OpCode.Text, Buffer.from('after'))]))
  await tick()
  t.same(messages, ['before'])
  t.equal(usedAfterClose, 0, 'the decompressor was not used after the connection ended')
  t.equal(closed.length, 1)
  t.equal((closed[0] as { closeCode?: number }).closeCode, 1000, 'a clean close, no error from the closed decompressor')
  wire.destroy()
})

t.test('a MessageReader ended mid-message decompresses nothing more, even in the same chunk', async (t) => {
  const wire = new Wire()
  const { decompressor } = oneShotCompression()
  // A control handler that ends the reader (and would free its decompressor) on a ping.
  const reader = new MessageReader(wire, new Uint8Array(0), { side: 'client', decompressor, onControl: (r) => r.end(new Error('the application is done')) })
  const next = reader.next()
  wire.feed(Buffer.from('4103f248cd' + '8900' + '8004c9c90700', 'hex'))
  const message = await next
  t.equal(decompressor.limits.length, 1, 'only the first fragment was decompressed')
  await t.rejects(message.stream.toArray(), /the application is done/)
  wire.destroy()
})

t.test('decompressed messages are Buffers of their own; the reader passes its limit on', async (t) => {
  const wire = new Wire()
  const { decompressor } = oneShotCompression()
  const got: Uint8Array[] = []
  readClientData(wire, new Uint8Array(0), { onMessage: (_op, data) => got.push(data) }, { decompressor, limits: { maxMessageSize: 5000 } })
  wire.feed(compressed(OpCode.Binary, Buffer.alloc(3000, 1)))
  await tick()
  t.ok(Buffer.isBuffer(got[0]))
  t.equal(got[0].buffer.byteLength, 3000, 'not a slice of a shared pool')
  t.same(decompressor.limits, [5000, 5000], 'the whole limit, since nothing came out before the end')
  wire.destroy()
})

t.test('output in many small pieces is gathered into one message', async (t) => {
  const { wire, messages } = inflatingReader(t, { pieceSize: 1 })
  const payload = Buffer.alloc(3000, 'ab')
  wire.feed(compressed(OpCode.Binary, payload))
  await tick()
  t.same(messages, [[OpCode.Binary, hex(payload)]])
})

t.test('without a decompressor, allowed RSV1 messages are handed over compressed', async (t) => {
  const wire = new Wire()
  const seen: [string, boolean][] = []
  readServerData(wire, new Uint8Array(0), { onMessage: (_op, data, compressed) => seen.push([hex(data), compressed]) }, { allowedRsv: Rsv1 })
  wire.feed(Buffer.from(rfcHello['7.2.3.1 one compressed frame'], 'hex'))
  await tick()
  t.same(seen, [['f248cdc9c90700', true]])
  const streamWire = new Wire()
  const reader = new MessageReader(streamWire, new Uint8Array(0), { side: 'client', allowedRsv: Rsv1 })
  streamWire.feed(Buffer.from(rfcHello['7.2.3.2 fragmented'], 'hex'))
  const message = await reader.next()
  t.equal(message.compressed, true)
  t.equal(hex(Buffer.concat(await message.stream.toArray())), 'f248cdc9c90700')
  wire.destroy()
  streamWire.destroy()
})

t.test('RSV1 is refused on a continuation (1002) and without a negotiated extension', async (t) => {
  for (const [bytes, options] of [
    ['4103f248cdc004c9c90700', { decompressor: oneShotCompression().decompressor }],
    [rfcHello['7.2.3.1 one compressed frame'], {}],
  ] as const) {
    const wire = new Wire()
    const closed: Error[] = []
    readServerData(wire, new Uint8Array(0), { onMessage: () => {}, onClose: (reason) => closed.push(reason) }, options)
    wire.feed(Buffer.from(bytes, 'hex'))
    await tick()
    t.type(closed[0], ProtocolError)
    t.equal(hex(frames(wire.bytes())[0].payload), '03ea')
    wire.destroy()
  }
})

t.test('a MessageReader checks decompressed text too, and keeps decompressing what it discards', async (t) => {
  const wire = new Wire()
  const reader = new MessageReader(wire, new Uint8Array(0), { side: 'server', decompressor: oneShotCompression().decompressor, limits: { maxMessageSize: 10 } })
  wire.feed(compressed(OpCode.Text, Buffer.from('first')), compressed(OpCode.Text, Buffer.from('second')))
  const first = await reader.next()
  const second = await reader.next() // the first is discarded, whole already
  void first
  t.equal(Buffer.concat(await second.stream.toArray()).toString(), 'second')
  wire.feed(compressed(OpCode.Text, Buffer.from('too long by far')))
  await t.rejects(reader.next(), LimitError)
  t.equal(hex(frames(wire.bytes()).at(-1)!.payload), '03f1')
  // Frames after the end are dropped, compressed or not.
  wire.feed(compressed(OpCode.Text, Buffer.from('late')))
  await tick()
  wire.destroy()
})

t.test('BatchWriter compresses messages through its compressor, in order, RSV1 set', async (t) => {
  for (const side of ['server', 'client'] as const) {
    const sink = new Sink()
    sink.hold = true // writes queue up unread, as in a busy socket: a payload changed before the release shows
    const { compressor, inflate } = oneShotCompression({ threshold: 10 })
    const writer = new BatchWriter(sink, { side, bufferSize: 1024, compressor })
    const large = randomBytes(100_000) // incompressible: the compressed frame is large too
    writer.writeMessage(OpCode.Text, Buffer.from('a small one'))
    writer.writeMessage(OpCode.Binary, large) // larger than the buffer: written on its own
    writer.writeMessage(OpCode.Binary, large.subarray(0, 50_000)) // in the same tick: the first must have been copied
    writer.writeMessage(OpCode.Text, Buffer.from('short')) // under the threshold
    writer.writeMessage(OpCode.Binary, Buffer.from('f248cdc9c90700', 'hex'), Rsv1) // compressed already
    writer.writeClose(1000)
    const calls = compressor.calls
    writer.writeMessage(OpCode.Text, Buffer.from('after the close'))
    t.equal(compressor.calls, calls, 'nothing is compressed after the close')
    await tick()
    sink.release()
    await tick()
    const sent = frames(Buffer.concat(sink.chunks))
    t.same(sent.map((f) => [f.fin, f.rsv, f.opCode]), [[true, Rsv1, 1], [true, Rsv1, 2], [true, Rsv1, 2], [true, 0, 1], [true, Rsv1, 2], [true, 0, 8]], side)
    t.equal(inflate(sent[0].payload).toString(), 'a small one')
    t.ok(inflate(sent[1].payload).equals(large))
    t.ok(inflate(sent[2].payload).equals(large.subarray(0, 50_000)))
    t.equal(sent[3].payload.toString(), 'short')
    t.equal(inflate(sent[4].payload).toString(), 'Hello')
  }
})

t.test('a message compressed elsewhere resets the compressor: the peer window has bytes it never saw', async (t) => {
  const sink = new Sink()
  const { compressor } = oneShotCompression()
  const writer = new BatchWriter(sink, { side: 'server', compressor })
  writer.writeMessage(OpCode.Text, Buffer.from('ours'))
  t.equal(compressor.resets, 0)
  writer.writeMessage(OpCode.Text, Buffer.from('f248cdc9c90700', 'hex'), Rsv1)
  t.equal(compressor.resets, 1, 'writeMessage with RSV1')
  writer.writeFrame(false, Rsv1, OpCode.Binary, Buffer.from('f248', 'hex'))
  writer.writeFrame(true, 0, OpCode.Continuation, Buffer.from('cdc9c90700', 'hex'))
  t.equal(compressor.resets, 2, 'writeFrame starting a compressed message')
  writer.writeFrame(true, 0, OpCode.Text, Buffer.from('plain'))
  t.equal(compressor.resets, 2, 'an uncompressed message changes nothing')
  await tick()
})

t.test('a MessageWriter destroyed mid-message resets the compressor; one that finished does not', async (t) => {
  const { compressor } = oneShotCompression()
  const sink = new Sink()
  const finished = new MessageWriter(sink, { side: 'server', compressor })
  finished.end(Buffer.from('whole'))
  await once(finished, 'finish')
  finished.destroy()
  t.equal(compressor.resets, 0)
  const abandoned = new MessageWriter(sink, { side: 'server', compressor })
  abandoned.write(Buffer.from('SECRET-PARTIAL '))
  await tick()
  abandoned.destroy()
  await once(abandoned, 'close')
  t.equal(compressor.resets, 1)
  t.equal(oneShotCompression().inflate(compressor.compress(Buffer.from('hello'))!).toString(), 'hello', 'the next message carries nothing of it')
  const untouched = new MessageWriter(sink, { side: 'server' })
  untouched.write(Buffer.from('x'))
  untouched.destroy()
  await once(untouched, 'close')
})

t.test('MessageWriter compresses as it streams: RSV1 on the first frame only', async (t) => {
  for (const side of ['server', 'client'] as const) {
    const sink = new Sink()
    const { compressor, inflate } = oneShotCompression()
    const writer = new MessageWriter(sink, { side, opCode: OpCode.Text, frameSize: 16, compressor })
    const words = Array.from({ length: 50 }, (_, i) => `word ${i * 37} `).join('')
    writer.write(words.slice(0, 100))
    writer.end(words.slice(100))
    await once(writer, 'finish')
    const sent = frames(sink.bytes())
    t.ok(sent.length > 2, 'fragmented')
    t.same(sent.map((f) => [f.rsv, f.opCode]), sent.map((_, i) => (i === 0 ? [Rsv1, OpCode.Text] : [0, OpCode.Continuation])), side)
    t.same(sent.map((f) => f.fin), sent.map((_, i) => i === sent.length - 1))
    t.equal(inflate(Buffer.concat(sent.map((f) => f.payload))).toString(), words)
  }
})

t.test('a socket that fails while a compressed message ends fails the MessageWriter', async (t) => {
  const sink = new Sink()
  const writer = new MessageWriter(sink, { side: 'server', frameSize: 4, compressor: oneShotCompression().compressor })
  writer.write(Buffer.from('held by the compressor until the end'))
  await tick()
  sink.destroy()
  writer.end()
  const [error] = await once(writer, 'error')
  t.match(error, { code: 'ERR_STREAM_DESTROYED' })
})

/** acceptNoTakeover is a negotiate callback for these tests: permessage-deflate, no context takeover either way. */
const acceptNoTakeover = (offer: Extension): Extension | null => offer.name === 'permessage-deflate'
  ? { name: 'permessage-deflate', params: [{ name: 'server_no_context_takeover', value: null }, { name: 'client_no_context_takeover', value: null }] }
  : null

t.test('a ws client and this server echo compressed messages, fragmented ones too', async (t) => {
  const upgrader = new Upgrader({ negotiate: acceptNoTakeover })
  const { port } = await listen(t, async (socket) => {
    const accepted = await acceptSocket(socket, upgrader)
    t.same(accepted.extensions.map((e) => e.name), ['permessage-deflate'])
    const { compressor, decompressor } = oneShotCompression({ threshold: 8 })
    const writer = new BatchWriter(socket, { side: 'server', compressor })
    readClientData(socket, accepted.head, { onMessage: (opCode, data) => writer.writeMessage(opCode, data) }, { writer, decompressor })
  })
  const client = new WebSocket(`ws://127.0.0.1:${port}`, { perMessageDeflate: { threshold: 0 } })
  await once(client, 'open')
  t.match(client.extensions, /permessage-deflate/)
  const sent = ['tiny', 'x'.repeat(100_000), Buffer.from(Array.from({ length: 5000 }, (_, i) => i & 0xff)), '']
  const received: (string | Buffer)[] = []
  client.on('message', (data: Buffer, isBinary) => received.push(isBinary ? data : data.toString()))
  for (const message of sent) client.send(message)
  client.send('frag', { fin: false })
  client.send('mented', { fin: true })
  while (received.length < sent.length + 1) await once(client, 'message')
  t.same(received, [...sent, 'fragmented'])
  client.close()
  await once(client, 'close')
})

t.test('this client and a ws server exchange compressed messages', async (t) => {
  const server = new WebSocketServer({ port: 0, host: '127.0.0.1', perMessageDeflate: { threshold: 0, serverNoContextTakeover: true, clientNoContextTakeover: true } })
  t.teardown(() => server.close())
  await once(server, 'listening')
  server.on('connection', (socket) => socket.on('message', (data, isBinary) => socket.send(data, { binary: isBinary })))
  const offer = { name: 'permessage-deflate', params: [{ name: 'server_no_context_takeover', value: null }, { name: 'client_no_context_takeover', value: null }] }
  const dialed = await dial(`ws://127.0.0.1:${(server.address() as { port: number }).port}`, { extensions: [offer] })
  t.same(dialed.extensions.map((e) => e.name), ['permessage-deflate'])
  const { compressor, decompressor } = oneShotCompression()
  const writer = new BatchWriter(dialed.socket, { side: 'client', compressor })
  const received: string[] = []
  const done = new Promise<void>((resolve) => {
    readServerData(dialed.socket, dialed.head, {
      onMessage: (_op, data) => {
        received.push(text(data))
        if (received.length === 2) resolve()
      },
    }, { writer, decompressor })
  })
  writer.writeMessage(OpCode.Text, Buffer.from('hello, compressed'))
  writer.writeMessage(OpCode.Text, Buffer.from('y'.repeat(70_000)))
  await done
  t.same(received, ['hello, compressed', 'y'.repeat(70_000)])
  dialed.socket.destroy()
})
