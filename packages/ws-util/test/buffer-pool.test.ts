import { Writable } from 'node:stream'
import t from 'tap'
import { OpCode } from '@ws-toolkit/ws-core'
import { BatchWriter } from '../src/index.js'
import { BufferPool, bufferPool, pooledBytes } from '../src/buffer-pool.js'
import { Sink, tick } from './helpers.js'

// Issue 14: an idle connection holds no write buffer. Writers borrow from one pool per size.

t.test('writers borrow a buffer per batch and give it back once the socket took it: idle, they hold none', async (t) => {
  const size = 4096 // a size of its own, so no other test shares this pool
  const pool = bufferPool(size)
  t.equal(bufferPool(size), pool, 'one pool per size')
  const [a, b] = [new Sink(), new Sink()]
  const writers = [new BatchWriter(a, { side: 'server', bufferSize: size }), new BatchWriter(b, { side: 'server', bufferSize: size })]
  t.equal(pool.idle, 0, 'nothing taken before a write')
  writers[0]!.writeMessage(OpCode.Text, Buffer.from('one'))
  t.equal(pool.idle, 0)
  await tick()
  t.equal(pool.idle, 1, 'given back after the write callback')
  writers[1]!.writeMessage(OpCode.Text, Buffer.from('two'))
  await tick()
  t.equal(a.chunks[0]!.buffer, b.chunks[0]!.buffer, 'the second writer gathered in the first one\'s buffer')
  t.equal(pool.idle, 1, 'and gave it back: two idle writers, one buffer in the process')
  // A socket that has not taken the bytes keeps its buffer: the next writer gets another.
  a.hold = true
  writers[0]!.writeMessage(OpCode.Text, Buffer.from('held'))
  await tick()
  t.equal(pool.idle, 0)
  writers[1]!.writeMessage(OpCode.Text, Buffer.from('free'))
  await tick()
  t.not(b.chunks[1]!.buffer, a.chunks[1]!.buffer, 'a held buffer is not lent again')
  t.equal(a.copies[1]!.toString('latin1', 2), 'held')
  t.equal(a.chunks[1]!.toString('latin1', 2), 'held', 'its bytes are intact while the socket holds them')
  a.release()
  await tick()
  t.equal(pool.idle, 2, 'both back')
})

t.test('a write that fails keeps its buffer out of the pool: the socket may still hold it', async (t) => {
  const size = 8192
  const pool = bufferPool(size)
  const failing = new Writable({ write: (_chunk, _encoding, callback) => callback(new Error('broken pipe')) })
  failing.on('error', () => {})
  const writer = new BatchWriter(failing, { side: 'server', bufferSize: size })
  writer.writeMessage(OpCode.Binary, new Uint8Array(10))
  await tick()
  await tick()
  t.equal(pool.idle, 0, 'not given back')
})

t.test('a backed-up writer gives its buffer back after copying a batch out', async (t) => {
  const size = 2048
  const pool = bufferPool(size)
  const sink = new Sink()
  sink.hold = true
  const writer = new BatchWriter(sink, { side: 'server', bufferSize: size })
  for (let i = 0; i < 3; i++) {
    writer.writeControl(OpCode.Pong, new Uint8Array(0))
    await tick()
  }
  t.equal(pool.idle, 1, 'two buffers wait in the socket; the third batch left as a copy and its buffer came back')
  sink.release()
  await tick()
  t.equal(pool.idle, 3)
})

t.test('a pool keeps at most pooledBytes of free buffers, and at least two', async (t) => {
  const small = new BufferPool(256)
  t.equal(small.keep, pooledBytes / 256)
  const large = new BufferPool(4 * 1024 * 1024)
  t.equal(large.keep, 2)
  for (let i = 0; i < 5; i++) large.give(Buffer.allocUnsafeSlow(1))
  t.equal(large.idle, 2, 'the rest left to the garbage collector')
  const kept = large.take()
  t.equal(large.idle, 1)
  t.equal(kept.length, 1, 'a free buffer is lent before a new one is made')
  large.take()
  t.equal(large.take().length, 4 * 1024 * 1024, 'then new ones, of the pool\'s size')
})
