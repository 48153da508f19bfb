import t from 'tap'
import { compileFrame, newTextFrame, OpCode, unmaskFrame } from '@ws-toolkit/ws-core'
import { BatchWriter } from '../src/index.js'
import { bufferPool } from '../src/buffer-pool.js'
import { Sink, tick } from './helpers.js'

const hex = (b: Uint8Array) => Buffer.from(b).toString('hex')

t.test('frames written in one tick leave in one write, in order, with exact bytes', async (t) => {
  const sink = new Sink()
  const writer = new BatchWriter(sink, { side: 'server' })
  t.equal(writer.writeMessage(OpCode.Text, Buffer.from('Hello')), true)
  writer.writeControl(OpCode.Ping, Buffer.from('p'))
  writer.writeMessage(OpCode.Binary, new Uint8Array(0))
  writer.writeFrame(false, 0, OpCode.Text, Buffer.from('a'))
  writer.writeFrame(true, 0b100, OpCode.Continuation, Buffer.from('b'))
  t.equal(sink.chunks.length, 0, 'nothing before the tick ends')
  t.equal(writer.writableLength, 18)
  await tick()
  t.equal(sink.chunks.length, 1)
  // RFC 6455 §5.7: "Hello" unmasked is 81 05 48 65 6c 6c 6f.
  t.equal(hex(sink.bytes()), '810548656c6c6f' + '890170' + '8200' + '010161' + 'c00162')
})

t.test('a client masks each frame with a fresh key in its own buffer', async (t) => {
  const sink = new Sink()
  const writer = new BatchWriter(sink, { side: 'client' })
  const payload = Buffer.from('Hello')
  writer.writeMessage(OpCode.Text, payload)
  writer.writeMessage(OpCode.Text, payload)
  await tick()
  t.equal(payload.toString(), 'Hello', 'the caller\'s bytes are untouched')
  const bytes = sink.bytes()
  t.equal(bytes.length, 22)
  const frames = [bytes.subarray(0, 11), bytes.subarray(11)]
  for (const frame of frames) {
    t.equal(hex(frame.subarray(0, 2)), '8185', 'FIN, text, masked, 5 bytes')
    const mask = frame.readUInt32BE(2)
    const unmasked = unmaskFrame({ header: { fin: true, rsv: 0, opCode: 1, masked: true, mask, length: 5 }, payload: frame.subarray(6) })
    t.equal(Buffer.from(unmasked.payload).toString(), 'Hello')
  }
  t.not(frames[0].readUInt32BE(2), frames[1].readUInt32BE(2), 'a new key per frame')
})

t.test('a server writes a payload larger than the buffer without copying it, after what was gathered', async (t) => {
  const sink = new Sink()
  const writer = new BatchWriter(sink, { side: 'server', bufferSize: 1024 })
  const large = Buffer.alloc(20000, 7)
  writer.writeMessage(OpCode.Text, Buffer.from('first'))
  writer.writeMessage(OpCode.Binary, large)
  writer.writeMessage(OpCode.Text, Buffer.from('last'))
  await tick()
  t.same(sink.copies.map((c) => c.length), [7, 4, 20000, 6])
  t.equal(sink.chunks[2], large, 'the payload itself was written')
  t.equal(hex(sink.copies[1]), '827e4e20')
})

t.test('frames that no longer fit flush what was gathered first; a client copies large frames to mask them', async (t) => {
  const sink = new Sink()
  const writer = new BatchWriter(sink, { side: 'client', bufferSize: 256 })
  writer.writeMessage(OpCode.Binary, Buffer.alloc(200, 1))
  writer.writeMessage(OpCode.Binary, Buffer.alloc(100, 2))
  t.equal(sink.chunks.length, 1, 'the first buffer went out when the second frame did not fit')
  const large = Buffer.alloc(1000, 3)
  writer.writeMessage(OpCode.Binary, large)
  await tick()
  t.same(sink.copies.map((c) => c.length), [208, 106, 1008])
  t.ok(large.every((b) => b === 3), 'the caller\'s large payload is untouched')
})

t.test('buffers are reused once the socket has taken them, and not before', async (t) => {
  const sink = new Sink()
  const writer = new BatchWriter(sink, { side: 'server' })
  writer.writeMessage(OpCode.Text, Buffer.from('one'))
  await tick()
  writer.writeMessage(OpCode.Text, Buffer.from('two'))
  await tick()
  t.equal(sink.chunks[0].buffer, sink.chunks[1].buffer, 'the same memory, taken back after the write callback')
  sink.hold = true
  writer.writeMessage(OpCode.Text, Buffer.from('three'))
  await tick()
  writer.writeMessage(OpCode.Text, Buffer.from('four'))
  await tick()
  writer.writeMessage(OpCode.Text, Buffer.from('five'))
  await tick()
  sink.release()
  await tick()
  const buffers = new Set(sink.chunks.slice(2).map((c) => c.buffer))
  t.equal(buffers.size, 3, 'while writes are held, each flush has a buffer of its own')
  t.same(sink.chunks.slice(2).map((c) => c.toString('latin1', 2)), ['three', 'four', 'five'], 'held bytes were not overwritten')
})

t.test('a buffer filled to the last byte is written whole', async (t) => {
  const sink = new Sink()
  const writer = new BatchWriter(sink, { side: 'server', bufferSize: 256 })
  writer.writeMessage(OpCode.Binary, new Uint8Array(252))
  await tick()
  t.equal(sink.chunks[0].length, 256)
  t.equal(sink.chunks[0].buffer.byteLength, 256, 'the buffer itself, no view made')
})

t.test('write() after gathered frames: copied after them; one too large for what is left goes by reference', async (t) => {
  const sink = new Sink()
  const writer = new BatchWriter(sink, { side: 'server', bufferSize: 256 })
  const small = compileFrame(newTextFrame('hi'))
  const large = compileFrame(newTextFrame('x'.repeat(250)))
  writer.writeMessage(OpCode.Text, Buffer.from('a'))
  writer.write(small)
  t.equal(writer.write(large), true)
  await tick()
  t.same(sink.copies.map((c) => c.length), [7, 254])
  t.equal(hex(sink.copies[0]), '810161' + '81026869', 'the message, then the frame copied after it')
  t.equal(sink.chunks[1].buffer, large.buffer, 'the compiled frame\'s own memory')
})

t.test('write() alone in its tick: the frame itself goes to the socket, no buffer borrowed', async (t) => {
  const pool = bufferPool(65536)
  const idle = pool.idle
  const frame = compileFrame(newTextFrame('shared'))
  const sinks = Array.from({ length: 1000 }, () => new Sink())
  const writers = sinks.map((sink) => new BatchWriter(sink, { side: 'server' }))
  for (const writer of writers) t.equal(writer.write(frame), true)
  t.equal(writers[0].writableLength, 8, 'held bytes count as waiting')
  t.ok(sinks.every((sink) => sink.chunks.length === 0), 'nothing before the tick ends')
  await tick()
  t.ok(sinks.every((sink) => sink.chunks.length === 1 && sink.chunks[0].buffer === frame.buffer && sink.chunks[0].byteOffset === frame.byteOffset && sink.chunks[0].length === 8), 'each socket got the shared frame\'s own memory')
  t.equal(pool.idle, idle, 'no buffer taken from the pool')
  t.equal(writers[0].writableLength, 0)
})

/** WritevSink records each batch the stream hands its _writev (a socket's one writev). */
class WritevSink extends Sink {
  readonly batches: Buffer[][] = []
  override _writev(chunks: { chunk: Buffer }[], callback: () => void): void {
    this.batches.push(chunks.map(({ chunk }) => chunk))
    for (const { chunk } of chunks) {
      this.chunks.push(chunk)
      this.copies.push(Buffer.from(chunk))
    }
    callback()
  }
}

t.test('held frames and the frames gathered after them leave in one writev, in call order, the held ones not copied', async (t) => {
  const sink = new WritevSink()
  const writer = new BatchWriter(sink, { side: 'server' })
  const frame = compileFrame(newTextFrame('hi'))
  const other = compileFrame(newTextFrame('yo'))
  writer.write(frame)
  writer.write(other)
  t.equal(writer.writableLength, 8)
  writer.writeMessage(OpCode.Text, Buffer.from('a'))
  writer.write(frame) // follows gathered bytes: copied after them
  writer.writeClose(1000)
  writer.write(frame)
  await tick()
  t.equal(sink.batches.length, 1, 'one writev')
  const [batch] = sink.batches
  t.equal(batch.length, 3)
  t.ok(batch[0].buffer === frame.buffer && batch[1].buffer === other.buffer, 'the held frames themselves')
  t.equal(hex(sink.bytes()), '81026869' + '8102796f' + '810161' + '81026869' + '880203e8', 'in order; nothing after the close')
})

t.test('held frames flush early past the buffer size or 1,024 frames; one larger than the buffer goes at once, by reference', async (t) => {
  const sink = new WritevSink()
  sink.hold = true
  const writer = new BatchWriter(sink, { side: 'server', bufferSize: 256 })
  const large = compileFrame(newTextFrame('x'.repeat(20000)))
  const small = compileFrame(newTextFrame('s'))
  writer.write(small)
  t.equal(writer.write(large), false, 'the socket is past its high-water mark: said at once')
  t.equal(sink.writableLength, 3 + 20004, 'what was held, then the large frame, in the socket without waiting for the tick')
  sink.release()
  t.equal(sink.chunks[1].buffer, large.buffer, 'by reference')
  writer.write(small)
  writer.writeControl(OpCode.Ping, Buffer.from('p'))
  writer.write(Buffer.alloc(254))
  t.equal(sink.batches.length, 1, 'the held frame and the ping, together, when 254 bytes more did not fit after them')
  await tick()
  t.same(sink.copies.map((c) => c.length), [3, 20004, 3, 3, 254])
  t.equal(hex(sink.copies[3]), '890170')

  const many = new WritevSink()
  const counting = new BatchWriter(many, { side: 'server' })
  for (let i = 0; i < 1025; i++) counting.write(small)
  t.equal(many.batches.length, 1, 'the 1,025th frame flushed the first 1,024')
  t.equal(many.batches[0].length, 1024)
  await tick()
  t.equal(many.chunks.length, 1025)
  t.ok(many.chunks.every((c) => c.buffer === small.buffer), 'none copied')
})

t.test('a held frame waits for uncork, and end() writes it before ending the socket', async (t) => {
  const sink = new Sink()
  const writer = new BatchWriter(sink, { side: 'server' })
  const frame = compileFrame(newTextFrame('c'))
  writer.cork()
  writer.write(frame)
  await tick()
  t.equal(sink.chunks.length, 0, 'held while corked')
  writer.uncork()
  t.equal(sink.chunks.length, 1, 'written by uncork')
  t.equal(sink.chunks[0].buffer, frame.buffer)
  writer.write(frame)
  writer.end()
  t.equal(sink.chunks.length, 2, 'written by end()')
  await tick()
  t.equal(sink.writableEnded, true)
  t.equal(hex(sink.bytes()), '8101638101' + '63')
})

t.test('backpressure: false once the socket needs a drain; flush() and end()', async (t) => {
  const sink = new Sink(64)
  sink.hold = true
  const writer = new BatchWriter(sink, { side: 'server' })
  t.equal(writer.writeMessage(OpCode.Binary, Buffer.alloc(100)), true, 'gathered, not yet written')
  writer.flush()
  writer.flush() // nothing gathered: no write
  t.equal(sink.chunks.length, 1)
  t.equal(writer.writeMessage(OpCode.Binary, Buffer.alloc(10)), false)
  t.equal(writer.write(compileFrame(newTextFrame('x'))), false)
  t.equal(writer.write(Buffer.alloc(70000)), false)
  t.equal(writer.closed, false)
  writer.end()
  writer.end()
  t.equal(writer.closed, true)
  t.equal(writer.writeMessage(OpCode.Text, Buffer.from('late')), true, 'dropped after end: nothing to wait for')
  t.equal(writer.write(small()), true)
  sink.release()
  await tick()
  t.equal(sink.writableEnded, true)
  t.same(sink.copies.map((c) => c.length), [102, 15, 70000])
})

const small = () => compileFrame(newTextFrame('x'))

t.test('cork holds writes past the tick; the outermost uncork writes them at once, in one write', async (t) => {
  const sink = new Sink()
  const writer = new BatchWriter(sink, { side: 'server' })
  writer.uncork() // not corked: nothing happens
  writer.cork()
  writer.cork()
  writer.writeMessage(OpCode.Text, Buffer.from('a'))
  writer.writeMessage(OpCode.Text, Buffer.from('b'))
  await tick()
  t.equal(sink.chunks.length, 0, 'held while corked')
  writer.uncork()
  t.equal(sink.chunks.length, 0, 'still corked once')
  writer.uncork()
  t.equal(sink.chunks.length, 1, 'written by the last uncork, not a tick later')
  t.equal(sink.copies[0].toString('latin1'), '\x81\x01a\x81\x01b')
})

t.test('bad options and control frames are refused; a client may not write unmasked bytes', async (t) => {
  t.throws(() => new BatchWriter(new Sink(), { side: 'server', bufferSize: 100 }), RangeError)
  const writer = new BatchWriter(new Sink(), { side: 'server' })
  t.throws(() => writer.writeControl(OpCode.Ping, new Uint8Array(126)), /at most 125/)
  t.throws(() => writer.writeFrame(false, 0, OpCode.Pong, new Uint8Array(0)), /FIN/)
  t.throws(() => new BatchWriter(new Sink(), { side: 'client' }).write(small()), /must mask/)
})

t.test('writeClose: the close is the last frame; a bad body throws and closes nothing', async (t) => {
  const sink = new Sink()
  const writer = new BatchWriter(sink, { side: 'server' })
  t.throws(() => writer.writeClose(1005), RangeError, '1005 is never sent')
  t.equal(writer.closed, false)
  writer.writeMessage(OpCode.Text, Buffer.from('last'))
  writer.writeClose(1000, 'bye')
  writer.writeClose(1001)
  t.equal(writer.writeMessage(OpCode.Text, Buffer.from('after')), true)
  t.equal(writer.write(small()), true)
  writer.writeControl(OpCode.Ping, new Uint8Array(0))
  await tick()
  t.equal(sink.bytes().toString('hex'), '81046c617374' + '880503e8627965', 'text, then the close, then nothing')
  t.equal(sink.writableEnded, false, 'the socket is not ended by a close frame')
})

t.test('a backed-up socket holds what was written, not a buffer per small flush', async (t) => {
  const sink = new Sink()
  sink.hold = true
  const writer = new BatchWriter(sink, { side: 'server' })
  for (let i = 0; i < 10; i++) {
    writer.writeControl(OpCode.Pong, new Uint8Array(0))
    await tick()
  }
  sink.release()
  await tick()
  t.equal(sink.chunks.length, 10)
  t.same(sink.chunks.slice(0, 2).map((c) => c.buffer.byteLength), [65536, 65536], 'the two buffers')
  // Each copy is its own size, in Node's shared pool for small buffers (Buffer.poolSize: 8 KiB on
  // Node 20 and 22, 64 KiB on Node 24), never a view of the writer's two buffers.
  const buffers = sink.chunks.slice(0, 2).map((c) => c.buffer)
  t.ok(sink.chunks.slice(2).every((c) => c.length === 2 && !buffers.includes(c.buffer) && c.buffer.byteLength <= Buffer.poolSize), 'then copies of their own size (Node\'s pool)')
})
