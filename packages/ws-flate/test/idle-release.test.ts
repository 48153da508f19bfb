import t from 'tap'
import * as zlib from 'node:zlib'
import { type DeflateAgreement, type DeflateEngine, fflateEngine, IdleSweep, idleSweep, lazySource, MessageDeflater, MessageInflater, PerMessageDeflate, syncTail } from '../src/index.js'
import { zlibEngine } from '../src/zlib.js'

/** counting wraps an engine and counts the compressors and decompressors made and closed, and inflater releases. */
function counting(engine: DeflateEngine) {
  const counts = { deflaters: 0, deflatersClosed: 0, inflaters: 0, inflaterReleases: 0 }
  const wrapped: DeflateEngine = {
    name: engine.name,
    minWindowBits: engine.minWindowBits,
    createDeflater: (options) => {
      counts.deflaters++
      const raw = engine.createDeflater(options)
      return { write: (d, l) => raw.write(d, l), reset: () => raw.reset(), close: () => (counts.deflatersClosed++, raw.close?.()) }
    },
    createInflater: (options) => {
      counts.inflaters++
      const raw = engine.createInflater(options)
      return { write: (d, l, s, m) => raw.write(d, l, s, m), release: () => (counts.inflaterReleases++, raw.release!()), close: () => raw.close?.() }
    },
  }
  return { wrapped, counts }
}

/** flushed writes `data` to a node:zlib stream and returns what its sync flush gives (the way `ws` does it). */
async function flushed(stream: zlib.DeflateRaw | zlib.InflateRaw, data: Uint8Array): Promise<Buffer> {
  const chunks: Buffer[] = []
  const take = (chunk: Buffer) => chunks.push(chunk)
  stream.on('data', take)
  stream.write(data)
  await new Promise<void>((resolve) => stream.flush(zlib.constants.Z_SYNC_FLUSH, () => resolve()))
  stream.off('data', take)
  return Buffer.concat(chunks)
}

/** messages are realistic JSON updates that repeat much of one another, of a few hundred bytes to a few KiB. */
function messages(count: number): Buffer[] {
  return Array.from({ length: count }, (_, i) =>
    Buffer.from(JSON.stringify({ kind: 'update', seq: i, rows: Array.from({ length: 4 + ((i * 7) % 40) }, (_, j) => ({ id: j, symbol: ['EURUSD', 'GBPUSD', 'BTC-USD'][(i + j) % 3], bid: (i * 31 + j) / 997 })) })),
  )
}

const takeover = (bits: number): DeflateAgreement => ({ serverNoContextTakeover: false, clientNoContextTakeover: false, serverMaxWindowBits: bits, clientMaxWindowBits: bits })
const settings = [
  { engine: zlibEngine, bits: 9 },
  { engine: zlibEngine, bits: 12 },
  { engine: zlibEngine, bits: 15 },
  { engine: fflateEngine, bits: 15 },
]

t.test('a released compressor starts afresh at the next message; the peer’s kept inflater (node:zlib) reads every message', async (t) => {
  for (const { engine, bits } of settings) {
    const { wrapped, counts } = counting(engine)
    const server = new PerMessageDeflate(takeover(bits), 'server', { engine: wrapped })
    const peer = zlib.createInflateRaw({ windowBits: bits })
    const text = messages(1)[0]!
    const first = Buffer.from(server.deflater.compress(text)!)
    const second = Buffer.from(server.deflater.compress(text)!)
    t.ok(second.length < first.length / 2, `${engine.name}/${bits}: with its history, the second message refers back to the first`)
    t.equal(server.release(), true)
    t.equal(counts.deflatersClosed, 1, 'the compressor is closed')
    const third = Buffer.from(server.deflater.compress(text)!)
    t.same(third, first, 'after release, the message compresses as on a new connection')
    t.equal(counts.deflaters, 2, 'a new compressor, made at the message')
    for (const compressed of [first, second, third]) {
      t.equal((await flushed(peer, Buffer.concat([compressed, syncTail]))).toString(), text.toString(), 'the peer, keeping its window, inflates it')
    }
    peer.close()
    server.close()
  }
})

t.test('a released decompressor keeps the peer’s window: messages that refer back across releases inflate exactly', async (t) => {
  for (const { engine, bits } of settings) {
    const { wrapped, counts } = counting(engine)
    const client = new PerMessageDeflate(takeover(bits), 'client', { engine: wrapped })
    const peer = zlib.createDeflateRaw({ windowBits: bits, level: 6 })
    let releases = 0
    let ok = 0
    const all = messages(30)
    for (const [i, text] of all.entries()) {
      const compressed = await flushed(peer, text)
      t.same(compressed.subarray(-4), Buffer.from(syncTail))
      const payload = compressed.subarray(0, -4)
      // Some messages arrive in two pieces, some whole; a release after every other one.
      const pieces: Buffer[] = []
      if (i % 3 === 0) {
        client.inflater.write(payload.subarray(0, 5), (c) => pieces.push(Buffer.from(c)))
        t.equal(client.release(), false, 'not in the middle of a message')
        client.inflater.write(payload.subarray(5), (c) => pieces.push(Buffer.from(c)))
        client.inflater.end((c) => pieces.push(Buffer.from(c)))
      } else {
        pieces.push(Buffer.from(client.inflater.inflate(payload)))
      }
      if (Buffer.concat(pieces).equals(text)) ok++
      if (i % 2 === 1) {
        t.equal(client.release(), true)
        releases++
      }
    }
    t.equal(ok, all.length, `${engine.name}/${bits}: all ${all.length} messages inflate exactly`)
    t.equal(counts.inflaters, 1, 'one decompressor for the connection')
    t.equal(counts.inflaterReleases, releases, 'released each time')
    peer.close()
    client.close()
  }
})

t.test('release() in the middle of a message refuses, and the message goes on', async (t) => {
  for (const { engine, bits } of settings) {
    const server = new PerMessageDeflate(takeover(bits), 'server', { engine })
    const peer = zlib.createInflateRaw({ windowBits: bits })
    const text = messages(2)[1]!
    const head = Buffer.from(server.deflater.write(text.subarray(0, 100), false))
    t.equal(server.release(), false)
    const tail = Buffer.from(server.deflater.write(text.subarray(100), true))
    t.equal((await flushed(peer, Buffer.concat([head, tail, syncTail]))).toString(), text.toString())
    t.equal(server.release(), true, 'after the message')
    peer.close()
    server.close()
  }
})

t.test('IdleSweep releases a connection idle for a whole sweep, not one used since the last', async (t) => {
  const { wrapped, counts } = counting(zlibEngine)
  const sweep = new IdleSweep(2 ** 31 - 1) // its timer never fires here: the test sweeps by hand
  const busy = new PerMessageDeflate(takeover(15), 'server', { engine: wrapped })
  const idle = new PerMessageDeflate(takeover(15), 'server', { engine: wrapped })
  const text = messages(1)[0]!
  busy.deflater.compress(text)
  idle.deflater.compress(text)
  sweep.watch(busy)
  sweep.watch(idle)
  sweep.watch(idle)
  t.equal(sweep.size, 2, 'watching twice is once')
  sweep.sweep() // the first look only notes each one's activity
  t.equal(counts.deflatersClosed, 0)
  busy.deflater.compress(text)
  sweep.sweep()
  t.equal(counts.deflatersClosed, 1, 'the idle one is released, the busy one kept')
  t.equal(sweep.size, 2, 'a released connection stays watched')
  busy.deflater.write(text.subarray(0, 10), false)
  sweep.sweep()
  sweep.sweep()
  t.equal(counts.deflatersClosed, 1, 'a message in progress is never released')
  busy.deflater.write(text.subarray(10), true)
  sweep.sweep()
  sweep.sweep()
  t.equal(counts.deflatersClosed, 2, 'released once idle after it')
  sweep.unwatch(busy)
  sweep.unwatch(idle)
  t.equal(sweep.size, 0)
  busy.close()
  idle.close()
  for (const bad of [0, -1, Number.NaN, Infinity, 2 ** 31]) t.throws(() => new IdleSweep(bad), RangeError)
})

t.test('releaseAfter: a connection is watched from its first kept engine until close(); shared engines need no watch', async (t) => {
  const after = 123_456
  const sweep = idleSweep(after)
  t.equal(idleSweep(after), sweep, 'one sweep per idle time, process-wide')
  const kept = new PerMessageDeflate(takeover(15), 'server', { engine: zlibEngine, releaseAfter: after })
  t.equal(sweep.has(kept), false, 'nothing to release before the first message')
  kept.deflater.compress(messages(1)[0]!)
  t.equal(sweep.has(kept), true)
  kept.close()
  t.equal(sweep.has(kept), false, 'close() stops watching')
  const none: DeflateAgreement = { serverNoContextTakeover: true, clientNoContextTakeover: true, serverMaxWindowBits: 15, clientMaxWindowBits: 15 }
  const shared = new PerMessageDeflate(none, 'server', { engine: zlibEngine, releaseAfter: after })
  shared.deflater.compress(messages(1)[0]!)
  t.equal(sweep.has(shared), false, 'engines lent per message are never held between messages')
  shared.close()
  for (const bad of [0, -5, Number.NaN]) t.throws(() => new PerMessageDeflate(none, 'server', { releaseAfter: bad }), RangeError)
})

t.test('release() on the default path: the compressor made off the main thread is closed, and made again after', async (t) => {
  let made = 0
  let closed = 0
  const engine: DeflateEngine = {
    ...zlibEngine,
    createDeflaterOffThread: async (options) => {
      const raw = await zlibEngine.createDeflaterOffThread!(options)
      made++
      return { write: (d, l) => raw.write(d, l), reset: () => raw.reset(), close: () => (closed++, raw.close?.()) }
    },
  }
  const server = new PerMessageDeflate(takeover(15), 'server', { engine })
  const peer = zlib.createInflateRaw({ windowBits: 15 })
  const text = messages(1)[0]!
  const sent: Buffer[] = [Buffer.from(server.deflater.compress(text)!)]
  for (let i = 0; i < 200 && made === 0; i++) await new Promise((resolve) => setTimeout(resolve, 1))
  sent.push(Buffer.from(server.deflater.compress(text)!), Buffer.from(server.deflater.compress(text)!))
  t.ok(sent[2]!.length < sent[0]!.length / 2, 'its own compressor, with context')
  t.equal(server.release(), true)
  t.equal(closed, 1, 'closed at release()')
  sent.push(Buffer.from(server.deflater.compress(text)!))
  t.same(sent[3], sent[0], 'the next message compresses afresh, on a lent engine')
  for (let i = 0; i < 200 && made === 1; i++) await new Promise((resolve) => setTimeout(resolve, 1))
  t.equal(made, 2, 'and the compressor is made again off the main thread')
  for (const compressed of sent) t.equal((await flushed(peer, Buffer.concat([compressed, syncTail]))).toString(), text.toString())
  server.close()
  t.equal(closed, 2)
  const offThreadOff = new PerMessageDeflate(takeover(15), 'server', { engine, offThread: false })
  offThreadOff.deflater.compress(text)
  t.ok(offThreadOff.deflater.compress(text)!.length < sent[0]!.length / 2, 'offThread: false: context from the second message')
  offThreadOff.close()
  peer.close()
})

t.test('IdleSweep releases an idle connection once, goes on past one that throws, and drops those collected', async (t) => {
  const sweep = new IdleSweep(2 ** 31 - 1)
  let releases = 0
  const quiet = { activity: 0, release: () => (releases++, true) }
  const throwing = { activity: 0, release: (): boolean => { throw new Error('cannot close') } }
  sweep.watch(throwing)
  sweep.watch(quiet)
  for (let i = 0; i < 5; i++) sweep.sweep()
  t.equal(releases, 1, 'released once while it stays idle (fflate would copy its window at each)')
  quiet.activity++
  sweep.sweep()
  sweep.sweep()
  t.equal(releases, 2, 'and again after it was used')
  sweep.unwatch(quiet)
  sweep.unwatch(throwing)
  // A connection dropped without close() is not kept alive by the sweep.
  const { setFlagsFromString } = await import('node:v8')
  const { runInNewContext } = await import('node:vm')
  setFlagsFromString('--expose-gc')
  const gc = runInNewContext('gc') as () => void
  ;(() => {
    for (let i = 0; i < 10; i++) sweep.watch({ activity: 0, release: () => true })
  })()
  t.equal(sweep.size, 10)
  for (let i = 0; i < 10 && sweep.size > 0; i++) {
    await new Promise((resolve) => setTimeout(resolve, 10))
    gc()
    sweep.sweep()
  }
  t.equal(sweep.size, 0, 'their entries are dropped once they are collected')
})

t.test('release() keeps what cannot be made again: an engine given at construction, an inflater engine without release', async (t) => {
  const options = { windowBits: 15, keepContext: true }
  const [first, second] = messages(2) as [Buffer, Buffer]
  // Given its engine, the deflater keeps it (and its context): nothing could make another.
  let closed = 0
  const raw = zlibEngine.createDeflater(options)
  const given = new MessageDeflater({ write: (d, l) => raw.write(d, l), reset: () => raw.reset(), close: () => (closed++, raw.close!()) }, { keepContext: true })
  const peer = zlib.createInflateRaw({ windowBits: 15 })
  t.equal((await flushed(peer, Buffer.concat([given.compress(first)!, syncTail]))).toString(), first.toString())
  t.equal(given.release(), false, 'a deflater given its engine does not release it')
  t.equal(closed, 0, 'the engine is not closed')
  const next = Buffer.from(given.compress(first)!)
  t.ok(next.length < Buffer.from(zlibEngine.createDeflater(options).write(first, true)).length / 4, 'the next message still refers back to the one before')
  t.equal((await flushed(peer, Buffer.concat([next, syncTail]))).toString(), first.toString(), 'and the peer reads it')
  // Made from a source, the same deflater releases it.
  const made = new MessageDeflater(lazySource(() => zlibEngine.createDeflater(options)), { keepContext: true })
  made.compress(first)
  t.equal(made.release(), true, 'a deflater that made its engine releases it')
  given.close()
  made.close()
  peer.close()

  // An inflater engine without release keeps all it holds: release() says so, and the window stays.
  const inner = zlibEngine.createInflater(options)
  const withoutRelease = new MessageInflater({ write: (d, l, s, m) => inner.write(d, l, s, m), close: () => inner.close!() })
  const withRelease = new MessageInflater(zlibEngine.createInflater(options))
  const sender = zlibEngine.createDeflater(options)
  const payloads = [first, second, first].map((message) => Buffer.from(sender.write(message, true)).subarray(0, -4))
  for (const [i, payload] of payloads.entries()) {
    t.equal(Buffer.from(withoutRelease.inflate(payload)).toString(), [first, second, first][i]!.toString(), `message ${i + 1} inflates`)
    t.equal(withoutRelease.release(), false, 'an engine without release(): release() is false')
    t.equal(withRelease.release(), true, 'one with release(): true')
  }
  withoutRelease.close()
  withRelease.close()
  sender.close!()
})
