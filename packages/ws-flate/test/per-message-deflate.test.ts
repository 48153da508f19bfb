import t from 'tap'
import { LimitError, newBinaryFrame, newCloseFrame, newFrame, newTextFrame, OpCode, Rsv1 } from '@ws-toolkit/ws-core'
import {
  compressFrame, decompressFrame, type DeflateAgreement, type DeflateEngine, type DeflaterOptions, fflateEngine, type InflaterOptions, PerMessageDeflate,
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

t.test('each side compresses with its own window and takeover, and inflates with the peer’s', async (t) => {
  const server = recording(zlibEngine)
  new PerMessageDeflate(agreement, 'server', { engine: server.wrapped, level: 1 }).close()
  t.same(server.seen, { deflater: { windowBits: 10, keepContext: false, level: 1 }, inflater: { windowBits: 12, keepContext: true } })
  const client = recording(zlibEngine)
  new PerMessageDeflate(agreement, 'client', { engine: client.wrapped }).close()
  t.same(client.seen, { deflater: { windowBits: 12, keepContext: true, level: undefined }, inflater: { windowBits: 10, keepContext: false } })
})

t.test('a connection pair round-trips messages; the threshold leaves small ones alone', async (t) => {
  for (const engine of [fflateEngine, zlibEngine]) {
    const full: DeflateAgreement = { serverNoContextTakeover: false, clientNoContextTakeover: false, serverMaxWindowBits: 15, clientMaxWindowBits: 15 }
    const server = new PerMessageDeflate(full, 'server', { engine })
    const client = new PerMessageDeflate(full, 'client', { engine })
    t.equal(server.deflater.compress(new Uint8Array(127)), null, 'under the default threshold of 128')
    const text = Buffer.from('{"kind":"update","values":[1,2,3]}'.repeat(10))
    const first = Buffer.from(server.deflater.compress(text)!)
    const second = Buffer.from(server.deflater.compress(text)!)
    t.ok(second.length < first.length, `${engine.name}: the second refers back to the first`)
    t.equal(Buffer.from(client.inflater.inflate(first)).toString(), text.toString())
    t.equal(Buffer.from(client.inflater.inflate(second)).toString(), text.toString())
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
