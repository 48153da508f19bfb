// The coalesceMs window: messages wait for the window's end and then go to each subscriber
// together, in order, so that a BatchWriter sends them in one socket write. The broker is the
// loopback transport (the test plays it), the subscribers recording targets and BatchWriters.
import { Writable } from 'node:stream'
import { setImmediate as tick } from 'node:timers/promises'
import t from 'tap'
import { BatchWriter } from '@ws-toolkit/ws-util'
import { encodeEnvelope, encodeOrigin, Fanout, maxCoalescedBytes, maxCoalescedMessages } from '../src/index.js'
import { loopback } from './loopback-transport.js'

/** recorder is a subscriber's target that keeps each frame's payload (frames under 126 bytes) as text. */
function recorder() {
  const seen: string[] = []
  return { seen, target: { write: (frame: Uint8Array) => seen.push(Buffer.from(frame.subarray(2)).toString()) > 0, writableLength: 0 } }
}

/** WritevSocket stands in for a socket and records each batch of chunks it is handed at once (a socket's one writev). */
class WritevSocket extends Writable {
  readonly batches: Buffer[][] = []
  override _write(chunk: Buffer, _encoding: BufferEncoding, callback: () => void): void {
    this.batches.push([chunk])
    callback()
  }

  override _writev(chunks: { chunk: Buffer }[], callback: () => void): void {
    this.batches.push(chunks.map(({ chunk }) => chunk))
    callback()
  }
}

t.test('coalesceMs is checked', async (t) => {
  const { transport } = loopback()
  for (const bad of [-1, 1001, Number.NaN]) t.throws(() => new Fanout({ transport, coalesceMs: bad }), RangeError, String(bad))
  t.doesNotThrow(() => new Fanout({ transport, coalesceMs: 1000 }))
})

t.test('messages wait for the window, then go to every subscriber in order; a lent broker message is copied', async (t) => {
  const { transport, listeners } = loopback()
  const fanout = new Fanout({ transport, coalesceMs: 20 })
  const [one, two] = [recorder(), recorder()]
  await fanout.subscribe('room', one)
  await fanout.subscribe('room', two)
  const sent = fanout.publish('room', 'a')
  const lent = Buffer.from(encodeEnvelope(encodeOrigin('other:01'), 1, false, Buffer.from('b')))
  listeners.get('ws-fanout:room')!(lent)
  lent.fill(0) // the transport reuses its buffer after the call
  void fanout.publish('room', 'c')
  t.same(one.seen, [], 'nothing written before the window ends')
  t.equal(await sent, true, 'the broker took it at once: only the local delivery waits')
  while (two.seen.length < 3) await tick()
  t.same([one.seen, two.seen], [['a', 'b', 'c'], ['a', 'b', 'c']])
  t.match(fanout.stats, { published: 2, received: 1, delivered: 6, framesBuilt: 3 })
})

t.test('a message published from inside a coalesced delivery follows in the same pass', async (t) => {
  const { transport } = loopback()
  const fanout = new Fanout({ transport, coalesceMs: 5 })
  const seen: string[] = []
  let announced = false
  await fanout.subscribe('room', {
    target: {
      write(frame) {
        seen.push(Buffer.from(frame.subarray(2)).toString())
        if (!announced) {
          announced = true
          void fanout.publish('room', 'nested')
        }
        return true
      },
      writableLength: 0,
    },
  })
  void fanout.publish('room', 'first')
  void fanout.publish('room', 'second')
  while (seen.length < 2) await tick()
  t.same(seen, ['first', 'second', 'nested'], 'delivered with the window it was published in')
})

t.test(`${maxCoalescedMessages} messages waiting, or ${maxCoalescedBytes} bytes, are delivered at once; a BatchWriter sends them in one writev`, async (t) => {
  const { transport } = loopback()
  const fanout = new Fanout({ transport, coalesceMs: 1000, compression: false })
  const socket = new WritevSocket()
  const writer = new BatchWriter(socket, { side: 'server' })
  await fanout.subscribe('room', { target: writer })
  for (let i = 1; i < maxCoalescedMessages; i++) void fanout.publish('room', String(i))
  t.equal(fanout.stats.delivered, 0, 'one short: still waiting')
  void fanout.publish('room', 'last')
  t.equal(fanout.stats.delivered, maxCoalescedMessages, 'delivered without waiting for the window')
  await tick()
  t.equal(socket.batches.length, 1, 'one writev')
  t.equal(socket.batches[0]!.length, maxCoalescedMessages, 'each frame as it was built, none copied')
  t.equal(Buffer.concat(socket.batches[0]!.slice(-2)).toString('latin1'), '\x81\x041023\x81\x04last', 'in order')

  const large = new Uint8Array(maxCoalescedBytes / 2)
  void fanout.publish('room', large)
  t.equal(fanout.stats.delivered, maxCoalescedMessages)
  void fanout.publish('room', large)
  t.equal(fanout.stats.delivered, maxCoalescedMessages + 2, 'the bytes reached the limit: delivered at once')
})

t.test('close delivers what waits, then ends every subscription', async (t) => {
  const { transport, listeners } = loopback()
  const fanout = new Fanout({ transport, coalesceMs: 1000 })
  const member = recorder()
  await fanout.subscribe('room', member)
  void fanout.publish('room', 'last words')
  await fanout.close()
  t.same(member.seen, ['last words'])
  t.equal(listeners.size, 0, 'unsubscribed')
  t.equal(fanout.members('room'), 0)
})

t.test('a waiting message goes to no one once its topic was dropped, even if it is subscribed again in the window', async (t) => {
  const { transport, listeners } = loopback()
  const fanout = new Fanout({ transport, coalesceMs: 1000 })
  const [a, b] = [recorder(), recorder()]
  await fanout.subscribe('room', a)
  void fanout.publish('room', 'x')
  listeners.get('ws-fanout:room')!(encodeEnvelope(encodeOrigin('other:01'), 1, false, Buffer.from('old')))
  fanout.unsubscribe('room', a)
  void fanout.publish('room', 'while-out') // no member here: nothing waits
  await fanout.subscribe('room', a)
  await fanout.subscribe('room', b)
  void fanout.publish('room', 'new')
  await fanout.close() // ends the window now
  t.same([a.seen, b.seen], [['new'], ['new']], 'only what came for the current subscription')
  t.match(fanout.stats, { published: 3, received: 1, delivered: 2 })
})

t.test('an onError that throws at the window\'s end: the rest are delivered, then the error comes out', async (t) => {
  const { transport } = loopback()
  const fanout = new Fanout({ transport, coalesceMs: 1000, onError: (error) => { throw error } })
  const good = recorder()
  let writes = 0
  await fanout.subscribe('room', { target: { write: () => { if (writes++ === 0) throw new Error('broken target'); return true }, writableLength: 0 } })
  await fanout.subscribe('room', good)
  void fanout.publish('room', 'one')
  void fanout.publish('room', 'two')
  await t.rejects(fanout.close(), { message: 'broken target' }, 'close ended the window, and it threw')
  t.same(good.seen, ['two'], 'the message after the failure was delivered (the rest of the failing one was not: onError threw)')
  t.equal(fanout.members('room'), 0, 'close still took every subscriber out')
})
