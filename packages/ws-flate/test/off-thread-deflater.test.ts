import t from 'tap'
import * as zlib from 'node:zlib'
import { EnginePool, EngineUnavailableError, lentMessages, MessageDeflater, OffThreadDeflater, type RawDeflater, syncTail } from '../src/index.js'
import { type ZlibModule, zlibEngineOn } from '../src/zlib-engine.js'
import { zlibEngine } from '../src/zlib.js'

const options = { windowBits: 15, keepContext: true }
const turn = () => new Promise((resolve) => setTimeout(resolve, 1))

/** messages are realistic JSON updates that repeat one another. */
const messages = Array.from({ length: 40 }, (_, i) => Buffer.from(JSON.stringify({ kind: 'update', seq: i, rows: Array.from({ length: 3 + (i % 9) }, (_, j) => ({ id: j, symbol: 'EURUSD', bid: (i + j) / 7 })) })))

/** inflateAll inflates messages in order with one node:zlib stream kept across them, as a peer with context takeover does. */
async function inflateAll(payloads: Buffer[], windowBits = 15): Promise<string[]> {
  const peer = zlib.createInflateRaw({ windowBits })
  const out: string[] = []
  for (const payload of payloads) {
    const chunks: Buffer[] = []
    const take = (chunk: Buffer) => chunks.push(chunk)
    peer.on('data', take)
    peer.write(Buffer.concat([payload, syncTail]))
    await new Promise<void>((resolve) => peer.flush(zlib.constants.Z_SYNC_FLUSH, () => resolve()))
    peer.off('data', take)
    out.push(Buffer.concat(chunks).toString())
  }
  peer.close()
  return out
}

/** strip removes the sync flush's tail from a whole message's output (RFC 7692 §7.2.1). */
function strip(out: Uint8Array): Buffer {
  return Buffer.from(out.subarray(0, out.length - 4))
}

t.test('the zlib engine makes a compressor off the main thread that compresses exactly as one made on it', async (t) => {
  for (const windowBits of [9, 12, 15]) {
    const sync = zlibEngine.createDeflater({ windowBits, keepContext: true })
    const offThread = await zlibEngine.createDeflaterOffThread!({ windowBits, keepContext: true })
    for (const message of messages.slice(0, 10)) t.same(Buffer.from(offThread.write(message, true)), Buffer.from(sync.write(message, true)))
    offThread.reset()
    sync.reset()
    t.same(Buffer.from(offThread.write(messages[0]!, true)), Buffer.from(sync.write(messages[0]!, true)), `${windowBits} bits: the same after reset`)
    sync.close!()
    offThread.close!()
  }
  await t.rejects(zlibEngine.createDeflaterOffThread!({ windowBits: 15, keepContext: true, level: 1.5 }), RangeError)
})

t.test('OffThreadDeflater lends engines until its own is made, then keeps its context; every message reads on one peer stream', async (t) => {
  const lend = new EnginePool(() => zlibEngine.createDeflater({ windowBits: 15, keepContext: false }))
  for (const pattern of ['await none', 'await every 3rd', 'await each']) {
    const deflater = new OffThreadDeflater(() => zlibEngine.createDeflaterOffThread!(options), () => zlibEngine.createDeflater(options), lend)
    const payloads: Buffer[] = []
    let onLent = 0
    for (const [i, message] of messages.entries()) {
      const idle = lend.idle
      if (i % 5 === 4) {
        // In two fragments, with a wait between them: a message ends on the engine it started on.
        const head = Buffer.from(deflater.write(message.subarray(0, 10), false))
        await turn()
        payloads.push(Buffer.concat([head, strip(deflater.write(message.subarray(10), true))]))
      } else {
        payloads.push(strip(deflater.write(message, true)))
      }
      // A message on a lent engine takes one from the pool and gives it back (made anew if the pool was empty).
      if (!deflater.ready && (lend.idle > idle || (idle === 0 && lend.idle === 1))) onLent++
      if (i === 0) t.equal(lend.idle, Math.max(1, idle), `${pattern}: the first message went to a lent engine, given back`)
      if (pattern === 'await each' || (pattern === 'await every 3rd' && i % 3 === 0)) await turn()
    }
    for (let i = 0; i < 200 && !deflater.ready; i++) await turn()
    t.ok(deflater.ready, `${pattern}: its own engine is made`)
    t.ok(onLent <= lentMessages, `${pattern}: ${onLent} message(s) on lent engines first, at most ${lentMessages}`)
    t.same(await inflateAll(payloads), messages.map(String), `${pattern}: the peer reads every message`)
    const alone = strip(zlibEngine.createDeflater(options).write(messages[1]!, true))
    deflater.write(messages[1]!, true)
    t.ok(strip(deflater.write(messages[1]!, true)).length < alone.length / 2, 'with its own engine, a message refers back to the one before')
    deflater.close()
  }
  t.ok(lend.idle >= 1 && lend.idle <= 4, 'lent engines went back to the pool')
  lend.trim()
})

t.test('OffThreadDeflater: closed while its engine is being made, it closes it; a failed making falls back to one made here', async (t) => {
  let closed = 0
  const counted = (raw: RawDeflater): RawDeflater => ({ write: (d, l) => raw.write(d, l), reset: () => raw.reset(), close: () => (closed++, raw.close?.()) })
  const lend = new EnginePool(() => zlibEngine.createDeflater({ windowBits: 15, keepContext: false }))
  const early = new OffThreadDeflater(() => zlibEngine.createDeflaterOffThread!(options).then(counted), () => zlibEngine.createDeflater(options), lend)
  early.write(messages[0]!, true)
  early.close()
  for (let i = 0; i < 200 && closed === 0; i++) await turn()
  t.equal(closed, 1, 'the engine made after close() is closed')
  t.throws(() => early.write(messages[0]!, true), /after close/)

  let created = 0
  const failing = new OffThreadDeflater(() => Promise.reject(new Error('no threadpool')), () => (created++, zlibEngine.createDeflater(options)), lend)
  const first = strip(failing.write(messages[0]!, true))
  await turn()
  const second = strip(failing.write(messages[0]!, true))
  const third = strip(failing.write(messages[0]!, true))
  t.equal(created, 1, 'made on this thread at the next message')
  t.ok(third.length < second.length / 2, 'and keeps its context from there')
  t.same(await inflateAll([first, second, third]), [0, 0, 0].map(() => String(messages[0])))
  failing.close()

  const throwing = new OffThreadDeflater(() => { throw new Error('cannot') }, () => zlibEngine.createDeflater(options), lend)
  t.same(await inflateAll([strip(throwing.write(messages[2]!, true)), strip(throwing.write(messages[2]!, true))]), [String(messages[2]), String(messages[2])], 'a make that throws is a failed make')
  throwing.close()
  lend.trim()
})

t.test('OffThreadDeflater.reset() mid-message on a lent engine gives it back reset; the next message starts afresh', async (t) => {
  const lend = new EnginePool(() => zlibEngine.createDeflater({ windowBits: 15, keepContext: false }))
  const deflater = new OffThreadDeflater(() => new Promise<RawDeflater>(() => {}), () => zlibEngine.createDeflater(options), lend) // never made
  deflater.write(messages[3]!, false)
  t.equal(lend.idle, 0, 'the lent engine is held during its message')
  deflater.reset()
  t.equal(lend.idle, 1, 'given back at reset()')
  t.same(await inflateAll([strip(deflater.write(messages[4]!, true))]), [String(messages[4])])
  deflater.close()
  lend.trim()
})

t.test(`a burst of more than ${lentMessages} messages in one turn: the rest go to an engine made on the main thread, with context`, async (t) => {
  let closed = 0
  let created = 0
  const lend = new EnginePool(() => zlibEngine.createDeflater({ windowBits: 15, keepContext: false }))
  const counted = (raw: RawDeflater): RawDeflater => ({ write: (d, l) => raw.write(d, l), reset: () => raw.reset(), close: () => (closed++, raw.close?.()) })
  const deflater = new OffThreadDeflater(() => zlibEngine.createDeflaterOffThread!(options).then(counted), () => (created++, zlibEngine.createDeflater(options)), lend)
  const payloads = Array.from({ length: lentMessages + 3 }, () => strip(deflater.write(messages[6]!, true)))
  t.equal(created, 1, 'made on the main thread after the lent ones')
  t.ok(payloads.at(-1)!.length < payloads[0]!.length / 2, 'and keeps the context from there')
  t.equal(new Set(payloads.slice(0, lentMessages).map(String)).size, 1, `the first ${lentMessages} compress alone, alike`)
  t.same(await inflateAll(payloads), payloads.map(() => String(messages[6])))
  for (let i = 0; i < 200 && closed === 0; i++) await turn()
  t.equal(closed, 1, 'the engine made off the thread, no longer wanted, is closed when it comes')
  deflater.close()
  lend.trim()
})

t.test('a lent engine that throws is closed, never lent again; an empty piece takes no engine', async (t) => {
  let gaveBack = 0
  let closed = 0
  const broken: RawDeflater = { write: () => { throw new Error('broken engine') }, reset: () => {}, close: () => { closed++ } }
  const lend = { take: () => broken, give: () => { gaveBack++ } } as unknown as EnginePool<RawDeflater>
  const deflater = new OffThreadDeflater(() => new Promise<RawDeflater>(() => {}), () => zlibEngine.createDeflater(options), lend)
  t.throws(() => deflater.write(messages[0]!, false), /broken engine/)
  deflater.reset()
  t.same({ gaveBack, closed }, { gaveBack: 0, closed: 1 }, 'closed at once, not given back at reset()')
  deflater.close()

  const pool = new EnginePool(() => zlibEngine.createDeflater({ windowBits: 15, keepContext: false }))
  const off = new OffThreadDeflater(() => new Promise<RawDeflater>(() => {}), () => zlibEngine.createDeflater(options), pool)
  const message = new MessageDeflater({ take: () => off }, { keepContext: true })
  t.same([...message.write(new Uint8Array(0), false)], [], 'an empty first piece: nothing yet')
  t.same([...message.write(new Uint8Array(0), true)], [0], 'an empty message is 00 (RFC 7692 §7.2.3.6)')
  t.equal(pool.idle, 0, 'no engine was taken for it')
  t.same(await inflateAll([Buffer.from(message.write(messages[5]!, true))]), [String(messages[5])], "MessageDeflater removed the tail already")
  t.equal(pool.idle, 1, 'the next message borrowed one and gave it back')
  message.close()
  pool.trim()
})

t.test('OffThreadDeflater.reset() with its own engine forgets the context: the next message compresses as on a new engine', async (t) => {
  const lend = new EnginePool(() => zlibEngine.createDeflater({ windowBits: 15, keepContext: false }))
  const deflater = new OffThreadDeflater(() => zlibEngine.createDeflaterOffThread!(options), () => zlibEngine.createDeflater(options), lend)
  const payloads = [strip(deflater.write(messages[7]!, true))]
  for (let i = 0; i < 200 && !deflater.ready; i++) await turn()
  t.ok(deflater.ready, 'its own engine is made')
  const alone = strip(zlibEngine.createDeflater(options).write(messages[7]!, true))
  payloads.push(strip(deflater.write(messages[7]!, true)))
  t.same(payloads[1], alone, 'its first message on its own engine: the bytes of a new engine')
  payloads.push(strip(deflater.write(messages[7]!, true)))
  t.ok(payloads[2]!.length < alone.length / 2, 'the next refers back to it')
  deflater.reset()
  payloads.push(strip(deflater.write(messages[7]!, true)))
  t.same(payloads[3], alone, 'after reset, the bytes of a new engine again')
  t.same(await inflateAll(payloads), payloads.map(() => String(messages[7])), 'the peer reads them all')
  deflater.close()
  lend.trim()
})

t.test('OffThreadDeflater.close() in the middle of a message on a lent engine closes that engine, never lent again', async (t) => {
  let closed = 0
  const lend = new EnginePool((): RawDeflater => {
    const raw = zlibEngine.createDeflater({ windowBits: 15, keepContext: false })
    return { write: (d, l) => raw.write(d, l), reset: () => raw.reset(), close: () => (closed++, raw.close!()) }
  })
  const deflater = new OffThreadDeflater(() => new Promise<RawDeflater>(() => {}), () => zlibEngine.createDeflater(options), lend) // never made
  deflater.write(messages[8]!, true)
  t.equal(lend.idle, 1, 'a whole message: the lent engine is given back')
  deflater.write(messages[8]!.subarray(0, 50), false)
  t.equal(lend.idle, 0, 'half a message: the engine is held')
  deflater.close()
  t.equal(closed, 1, 'close() closes it')
  t.equal(lend.idle, 0, 'and does not give it back')
  t.throws(() => deflater.write(messages[8]!, true), /after close/)
  const other = new OffThreadDeflater(() => new Promise<RawDeflater>(() => {}), () => zlibEngine.createDeflater(options), lend)
  other.write(messages[8]!, true)
  other.close()
  t.equal(closed, 1, 'close() between messages closes no lent engine')
  t.equal(lend.idle, 1)
  lend.trim()
})

t.test("the zlib engine's off-thread compressor: a failed first flush rejects, and its stream is closed", async (t) => {
  /** withFlush is node:zlib whose raw deflate streams flush with `flush` (the check of the module uses no flush). */
  const withFlush = (flush: (stream: zlib.DeflateRaw, original: zlib.DeflateRaw['flush'], done: () => void) => void) => {
    const streams: zlib.DeflateRaw[] = []
    const module = {
      ...zlib,
      createDeflateRaw: (opts?: zlib.ZlibOptions) => {
        const stream = zlib.createDeflateRaw(opts)
        const original = stream.flush.bind(stream) as zlib.DeflateRaw['flush']
        stream.flush = ((_kind: number, done: () => void) => flush(stream, original, done)) as zlib.DeflateRaw['flush']
        streams.push(stream)
        return stream
      },
    } as unknown as ZlibModule
    return { engine: zlibEngineOn(module), streams }
  }
  // A zlib error: the stream emits 'error' and the flush's callback never runs.
  const failing = withFlush((stream) => void setImmediate(() => stream.emit('error', new Error('zlib: insufficient memory'))))
  t.ok(failing.engine.createDeflater(options).write(messages[0]!, true).length > 0, 'made on the main thread, the engine works (no flush)')
  await t.rejects(failing.engine.createDeflaterOffThread!(options), { message: 'zlib: insufficient memory' }, 'the error rejects')
  t.ok(failing.streams.at(-1)!.destroyed, 'the stream is closed')
  // The flush done, the stream lacks the binding the engine drives: EngineUnavailableError.
  const unbound = withFlush((stream, original, done) => original(zlib.constants.Z_SYNC_FLUSH, () => {
    ;(stream as unknown as { _writeState?: unknown })._writeState = undefined
    done()
  }))
  await t.rejects(unbound.engine.createDeflaterOffThread!(options), EngineUnavailableError, 'no synchronous binding: EngineUnavailableError')
  t.ok(unbound.streams.at(-1)!.destroyed, 'the stream is closed')
  // The same module, flushing as node:zlib does: it works, and compresses as one made on the main thread.
  const working = withFlush((_stream, original, done) => original(zlib.constants.Z_SYNC_FLUSH, done))
  const offThread = await working.engine.createDeflaterOffThread!(options)
  t.same(Buffer.from(offThread.write(messages[0]!, true)), Buffer.from(zlibEngine.createDeflater(options).write(messages[0]!, true)))
  offThread.close!()
})
