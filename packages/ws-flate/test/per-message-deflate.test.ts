import t from 'tap'
import { InvalidPayloadError, LimitError, newBinaryFrame, newCloseFrame, newFrame, newTextFrame, OpCode, Rsv1 } from '@ws-toolkit/ws-core'
import {
  compressFrame, decompressFrame, type DeflateAgreement, type DeflateEngine, type DeflaterOptions, fflateEngine, type InflaterOptions, MessageDeflater, PerMessageDeflate, type RawDeflater,
  sharedDeflaters, sharedInflaters,
} from '../src/index.js'
import { zlibEngine } from '../src/zlib.js'

/** recording wraps an engine and notes what each side was set up with. */
function recording(engine: DeflateEngine) {
  const seen: { deflater?: DeflaterOptions; inflater?: InflaterOptions } = {}
  const wrapped: DeflateEngine = {
    name: 'recording',
    minWindowBits: engine.minWindowBits,
    createDeflater: (options) => engine.createDeflater((seen.deflater = options)),
    createInflater: (options) => engine.createInflater((seen.inflater = options)),
  }
  return { wrapped, seen }
}

const agreement: DeflateAgreement = { serverNoContextTakeover: true, clientNoContextTakeover: false, serverMaxWindowBits: 10, clientMaxWindowBits: 12 }

/** RFC 7692 §7.2.3.1: "Hello" compressed, which inflates with any window. */
const hello = Uint8Array.of(0xf2, 0x48, 0xcd, 0xc9, 0xc9, 0x07, 0x00)

t.test('each side compresses with its own window and takeover, and inflates with the peer’s, making engines on first use', async (t) => {
  const server = recording(zlibEngine)
  const serverSide = new PerMessageDeflate(agreement, 'server', { engine: server.wrapped, level: 1 })
  t.same(server.seen, {}, 'no engine made at the handshake')
  serverSide.deflater.compress(Buffer.from('x'.repeat(200)))
  serverSide.inflater.inflate(hello)
  t.same(server.seen, { deflater: { windowBits: 10, keepContext: false, level: 1 }, inflater: { windowBits: 12, keepContext: true } })
  serverSide.close()
  const client = recording(zlibEngine)
  const clientSide = new PerMessageDeflate(agreement, 'client', { engine: client.wrapped })
  clientSide.deflater.compress(Buffer.from('x'.repeat(200)))
  clientSide.inflater.inflate(hello)
  t.same(client.seen, { deflater: { windowBits: 12, keepContext: true, level: undefined }, inflater: { windowBits: 10, keepContext: false } })
  clientSide.close()
})

t.test('a connection pair round-trips messages; the threshold leaves small ones alone', async (t) => {
  for (const engine of [fflateEngine, zlibEngine]) {
    const full: DeflateAgreement = { serverNoContextTakeover: false, clientNoContextTakeover: false, serverMaxWindowBits: 15, clientMaxWindowBits: 15 }
    const server = new PerMessageDeflate(full, 'server', { engine })
    const client = new PerMessageDeflate(full, 'client', { engine })
    t.equal(server.deflater.compress(new Uint8Array(127)), null, 'under the default threshold of 128')
    const text = Buffer.from('{"kind":"update","values":[1,2,3]}'.repeat(10))
    const first = Buffer.from(server.deflater.compress(text)!)
    t.equal(Buffer.from(client.inflater.inflate(first)).toString(), text.toString())
    // The zlib engine's compressor is made off the main thread: messages compress without
    // context until it is ready, a turn or a few of the event loop (at most 200 here).
    let second = first
    for (let turn = 0; turn < 200 && second.length >= first.length; turn++) {
      if (engine === zlibEngine) await new Promise((resolve) => setTimeout(resolve, 1))
      second = Buffer.from(server.deflater.compress(text)!)
      t.equal(Buffer.from(client.inflater.inflate(second)).toString(), text.toString())
    }
    t.ok(second.length < first.length, `${engine.name}: a later message refers back to an earlier one`)
    server.close()
    client.close()
  }
  t.throws(() => new PerMessageDeflate(agreement, 'server', { engine: zlibEngine, level: 0 }), RangeError)
  t.throws(() => new PerMessageDeflate(agreement, 'server', { engine: zlibEngine, level: 1.5 }), RangeError)
  t.throws(() => new PerMessageDeflate(agreement, 'server', { engine: fflateEngine }), RangeError, 'fflate cannot keep to a 10-bit window')
  new PerMessageDeflate(agreement, 'server').close() // the default engine, zlib on Node.js, can
})

t.test('compressFrame and decompressFrame: RFC 7692 §7.2.3.1, stateless', async (t) => {
  const frame = newTextFrame('Hello')
  const compressed = compressFrame(frame)
  t.equal(Buffer.from(compressed.payload).toString('hex'), 'f248cdc9c90700')
  t.same(compressed.header, { ...frame.header, rsv: Rsv1, length: 7 })
  t.equal(frame.header.rsv, 0, 'the frame given is not changed')
  const again = decompressFrame(compressed)
  t.same(again.header, frame.header)
  t.equal(Buffer.from(again.payload).toString(), 'Hello')
  const zlibbed = compressFrame(newBinaryFrame(new Uint8Array(1000)), { engine: zlibEngine, level: 9 })
  t.same(decompressFrame(zlibbed, { engine: zlibEngine }).payload, new Uint8Array(1000))
  t.throws(() => decompressFrame(zlibbed, { maxMessageSize: 999 }), LimitError)
  t.throws(() => compressFrame(newFrame(OpCode.Text, false, new Uint8Array(1))), RangeError, 'not a whole message')
  t.throws(() => compressFrame(newCloseFrame(1000)), RangeError, 'control frames are not compressed')
  t.throws(() => compressFrame(compressed), RangeError, 'compressed already')
  t.throws(() => decompressFrame(frame), RangeError, 'not compressed')
})

t.test('without context takeover, connections borrow engines from one pool per process, one message at a time', async (t) => {
  for (const base of [fflateEngine, zlibEngine]) {
    const { wrapped } = recording(base) // an engine object of its own: pools of its own
    let made = 0
    let closed = 0
    const counting: DeflateEngine = {
      ...wrapped,
      createDeflater: (options) => {
        made++
        const raw = wrapped.createDeflater(options)
        return { write: (d, l) => raw.write(d, l), reset: () => raw.reset(), close: () => (closed++, raw.close?.()) }
      },
    }
    const none: DeflateAgreement = { serverNoContextTakeover: true, clientNoContextTakeover: true, serverMaxWindowBits: 15, clientMaxWindowBits: 15 }
    const servers = Array.from({ length: 100 }, () => new PerMessageDeflate(none, 'server', { engine: counting }))
    const client = new PerMessageDeflate(none, 'client', { engine: base })
    const text = Buffer.from('{"kind":"update","values":[1,2,3]}'.repeat(10))
    for (const server of servers) t.equal(Buffer.from(client.inflater.inflate(server.deflater.compress(text)!)).toString(), text.toString())
    t.equal(made, 1, `${base.name}: 100 connections, whole messages: one compressor in the process`)
    const pool = sharedDeflaters(counting, { windowBits: 15, level: undefined })
    t.equal(pool.idle, 1, 'back in the pool between messages')
    // Messages in fragments at once each hold an engine until their end, and stay apart.
    const [a, b] = [servers[0]!, servers[1]!]
    const pieces = [a.deflater.write(text.subarray(0, 100), false), b.deflater.write(Buffer.from('other '.repeat(50)), false)].map((p) => Buffer.from(p))
    t.equal(made, 2, 'two messages in progress: two engines')
    const endA = Buffer.concat([pieces[0]!, a.deflater.write(text.subarray(100), true)])
    const endB = Buffer.concat([pieces[1]!, b.deflater.write(new Uint8Array(0), true)])
    t.equal(Buffer.from(client.inflater.inflate(endA)).toString(), text.toString())
    t.equal(Buffer.from(client.inflater.inflate(endB)).toString(), 'other '.repeat(50))
    t.equal(pool.idle, 2)
    // An abandoned message gives its engine back reset; close() on an idle connection closes nothing.
    a.deflater.write(text, false)
    a.deflater.reset()
    t.equal(pool.idle, 2)
    t.equal(Buffer.from(client.inflater.inflate(a.deflater.compress(text)!)).toString(), text.toString(), 'a reset engine starts afresh')
    for (const server of servers) server.close()
    t.equal(closed, 0, 'engines in the pool are not closed with a connection')
    pool.keep = 1
    pool.give(wrapped.createDeflater({ windowBits: 15, keepContext: false }))
    pool.trim()
    t.equal(pool.idle, 0, 'trim closes the free engines')
    t.ok(closed >= 2, 'closed')
    client.close()
  }
})

t.test('shared inflaters: a message inflated across calls holds one; a failed one is closed, not lent again', async (t) => {
  const none: DeflateAgreement = { serverNoContextTakeover: true, clientNoContextTakeover: true, serverMaxWindowBits: 15, clientMaxWindowBits: 15 }
  const { wrapped } = recording(zlibEngine)
  const servers = [new PerMessageDeflate(none, 'server', { engine: wrapped }), new PerMessageDeflate(none, 'server', { engine: wrapped })]
  const pool = sharedInflaters(wrapped, { windowBits: 15 })
  const out: string[] = ['', '']
  servers[0]!.inflater.write(hello.subarray(0, 3), (c) => (out[0] += Buffer.from(c).toString()))
  servers[1]!.inflater.write(hello.subarray(0, 4), (c) => (out[1] += Buffer.from(c).toString()))
  servers[0]!.inflater.write(hello.subarray(3), (c) => (out[0] += Buffer.from(c).toString()))
  servers[1]!.inflater.write(hello.subarray(4), (c) => (out[1] += Buffer.from(c).toString()))
  t.equal(pool.idle, 0, 'both held mid-message')
  servers[0]!.inflater.end((c) => (out[0] += Buffer.from(c).toString()))
  servers[1]!.inflater.end((c) => (out[1] += Buffer.from(c).toString()))
  t.same(out, ['Hello', 'Hello'])
  t.equal(pool.idle, 2, 'both back')
  t.throws(() => servers[0]!.inflater.inflate(Uint8Array.of(0xff, 0xff, 0xff)), InvalidPayloadError)
  t.equal(pool.idle, 1, 'the failed engine was closed, not given back')
  t.equal(Buffer.from(servers[1]!.inflater.inflate(hello)).toString(), 'Hello', 'the others go on')
  // shareEngines: false gives each connection its own, made on first use.
  const own = new PerMessageDeflate(none, 'server', { engine: wrapped, shareEngines: false })
  t.equal(Buffer.from(own.inflater.inflate(hello)).toString(), 'Hello')
  t.equal(pool.idle, 1, 'the pool was not used')
  own.close()
  for (const server of servers) server.close()
})

t.test('a lent engine cannot keep the context; a window the engine cannot keep to is refused at once', async (t) => {
  t.throws(() => new MessageDeflater(sharedDeflaters(zlibEngine, { windowBits: 15 }), { keepContext: true }), RangeError)
  t.throws(() => new PerMessageDeflate(agreement, 'client', { engine: fflateEngine }), /the fflate engine cannot compress with a 12-bit window \(its minWindowBits is 15\)/)
})

t.test('a lent compressor that fails is closed, never given back; close() mid-message closes the one it holds', async (t) => {
  let closed = 0
  let given = 0
  const source = (write: RawDeflater['write']) => ({
    take: (): RawDeflater => ({ write, reset() {}, close: () => void closed++ }),
    give: () => void given++,
  })
  const throwing = new MessageDeflater(source(() => { throw new Error('engine broke') }), { keepContext: false })
  t.throws(() => throwing.compress(new Uint8Array(10)), /engine broke/)
  t.same([closed, given], [1, 0], 'closed, not given back')
  const tailless = new MessageDeflater(source(() => Uint8Array.of(1, 2, 3)), { keepContext: false })
  t.throws(() => tailless.compress(new Uint8Array(10)), /did not end the message with a sync flush/)
  t.same([closed, given], [2, 0])
  const working = new MessageDeflater(source((_data, last) => (last ? Uint8Array.of(0xf2, 0, 0, 0xff, 0xff) : new Uint8Array(0))), { keepContext: false })
  working.write(new Uint8Array(5), false)
  working.close()
  t.same([closed, given], [3, 0], 'the engine held mid-message is closed with the deflater')
  working.close()
  t.equal(closed, 3, 'closing again closes nothing')
})
