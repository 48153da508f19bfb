import { constants, deflateRawSync, inflateRawSync } from 'node:zlib'
import fc from 'fast-check'
import { Deflate } from 'fflate'
import t from 'tap'
import { type DeflateEngine, fflateEngine, MessageDeflater, MessageInflater, PerMessageDeflate } from '../src/index.js'
import { zlibEngine } from '../src/zlib.js'

const engines: DeflateEngine[] = [fflateEngine, zlibEngine]
const tail = Buffer.of(0x00, 0x00, 0xff, 0xff)
const sync = { finishFlush: constants.Z_SYNC_FLUSH }
const bytes = (s: string) => Buffer.from(s)

/** The reference: node:zlib's public one-shot inflate of one message (no context takeover). */
const referenceInflate = (payload: Uint8Array, windowBits = 15) => inflateRawSync(Buffer.concat([payload, tail]), { ...sync, windowBits })

/** inflateAll decodes a connection's messages with `engine`, each payload fed in `pieces`. */
function inflateAll(engine: DeflateEngine, keepContext: boolean, payloads: Uint8Array[], pieces: (payload: Uint8Array) => Uint8Array[] = (p) => [p]): Buffer[] {
  const inflater = new MessageInflater(engine.createInflater({ windowBits: 15, keepContext }))
  return payloads.map((payload) => {
    const out: Buffer[] = []
    const keep = (chunk: Uint8Array) => out.push(Buffer.from(chunk))
    for (const piece of pieces(payload)) inflater.write(piece, keep)
    inflater.end(keep)
    return Buffer.concat(out)
  })
}

t.test('RFC 7692 §7.2.3 examples inflate with both engines', async (t) => {
  const hex = (s: string) => Buffer.from(s, 'hex')
  for (const engine of engines) {
    t.same(inflateAll(engine, true, [hex('f248cdc9c90700'), hex('f200110000')]).map(String), ['Hello', 'Hello'], `${engine.name}: §7.2.3.2 sharing the window`)
    t.same(inflateAll(engine, false, [hex('f248cdc9c90700')], (p) => [p.subarray(0, 3), p.subarray(3)]).map(String), ['Hello'], `${engine.name}: §7.2.3.1 in two fragments`)
    t.same(inflateAll(engine, true, [hex('000500faff48656c6c6f00'), hex('f348cdc9c9070000'), hex('f200110000')]).map(String), ['Hello', 'Hello', 'Hello'],
      `${engine.name}: §7.2.3.3 a stored block, §7.2.3.4 a BFINAL block, and the window carried over it`)
    t.same(inflateAll(engine, false, [hex('00')]).map(String), [''], `${engine.name}: §7.2.3.6 an empty message`)
  }
})

t.test('both engines compress "Hello" as RFC 7692 §7.2.3.1 shows, and an empty message as 00', async (t) => {
  for (const engine of engines) {
    const deflater = new MessageDeflater(engine.createDeflater({ windowBits: 15, keepContext: true }), { keepContext: true })
    t.equal(Buffer.from(deflater.compress(bytes('Hello'))!).toString('hex'), 'f248cdc9c90700', engine.name)
    t.equal(Buffer.from(deflater.compress(new Uint8Array(0))!).toString('hex'), '00', engine.name)
    t.ok(deflater.compress(bytes('Hello'))!.length < 7, `${engine.name}: the second refers to the first (context taken over)`)
  }
})

t.test("fflate's own sync flush is corrupt (upstream #267); this engine's is not", async (t) => {
  const input = bytes('a'.repeat(70000))
  const chunks: Uint8Array[] = []
  const upstream = new Deflate((chunk) => chunks.push(chunk))
  upstream.push(input)
  upstream.flush(true)
  t.throws(() => inflateRawSync(Buffer.concat(chunks), sync), 'fflate 0.8.3 flush(true): zlib cannot inflate it')
  const deflater = new MessageDeflater(fflateEngine.createDeflater({ windowBits: 15, keepContext: true }), { keepContext: true })
  t.ok(referenceInflate(deflater.compress(input)!).equals(input))
})

/** Messages of the kinds that matter to DEFLATE: random bytes, text with repeats, long runs, small JSON. */
const message = fc.oneof(
  { weight: 3, arbitrary: fc.uint8Array({ maxLength: 2000, size: 'max' }) },
  { weight: 3, arbitrary: fc.array(fc.constantFrom('the ', 'quick ', 'fox ', 'a', 'é', '{"id":', '}', '\n'), { maxLength: 3000, size: 'max' }).map((w) => bytes(w.join(''))) },
  { weight: 1, arbitrary: fc.tuple(fc.integer({ min: 0, max: 255 }), fc.integer({ min: 0, max: 100_000 })).map(([b, n]) => Buffer.alloc(n, b)) },
  { weight: 2, arbitrary: fc.array(fc.record({ id: fc.nat(), name: fc.string(), on: fc.boolean() }), { maxLength: 40, size: 'max' }).map((r) => bytes(JSON.stringify(r))) },
)
const sequence = fc.array(message, { minLength: 1, maxLength: 6, size: 'max' })
/** Cut points for a payload: fragments of a compressed message, as frames deliver them. */
const cuts = fc.array(fc.nat(), { maxLength: 4 })
const splitter = (points: number[]) => (payload: Uint8Array) => {
  const at = [...new Set(points.map((p) => p % (payload.length + 1)))].sort((a, b) => a - b)
  return [...at, payload.length].map((end, i) => payload.subarray(i === 0 ? 0 : at[i - 1], end))
}

for (const engine of engines) {
  for (const keepContext of [true, false]) {
    // fflate's compressor is the one with a known upstream bug: it gets the most runs.
    const numRuns = engine === fflateEngine ? 1000 : 300
    t.test(`differential: ${engine.name} compresses what node:zlib inflates, ${keepContext ? 'with' : 'without'} context takeover`, async (t) => {
      fc.assert(fc.property(sequence, cuts, (messages, points) => {
        const deflater = new MessageDeflater(engine.createDeflater({ windowBits: 15, keepContext }), { keepContext })
        const payloads = messages.map((m) => Buffer.from(deflater.compress(m)!)) // a copy: the engine reuses its memory
        if (keepContext) {
          // One stream across messages: each message's bytes continue it exactly.
          let stream = Buffer.alloc(0)
          payloads.forEach((payload, i) => {
            stream = Buffer.concat([stream, payload, tail])
            if (!inflateRawSync(stream, sync).equals(Buffer.concat(messages.slice(0, i + 1)))) throw new Error(`message ${i} differs`)
          })
        } else {
          payloads.forEach((payload, i) => {
            if (!referenceInflate(payload).equals(messages[i])) throw new Error(`message ${i} differs`)
          })
        }
        // And both engines inflate it back, in fragments.
        for (const inflater of engines) {
          const out = inflateAll(inflater, keepContext, payloads, splitter(points))
          out.forEach((m, i) => {
            if (!m.equals(messages[i])) throw new Error(`${inflater.name} inflates message ${i} wrong`)
          })
        }
      }), { numRuns })
      t.pass(`${numRuns} random sequences`)
    })
  }
}

/**
 * The other direction: node:zlib compresses (public API: a message after the others is
 * compressed with the last 32 KiB as its dictionary, which is what context takeover means on
 * the wire), some messages ending with a BFINAL block as RFC 7692 §7.2.3.4 allows.
 */
for (const engine of engines) {
  t.test(`differential: ${engine.name} inflates what node:zlib compresses, BFINAL endings included`, async (t) => {
    const ending = fc.constantFrom('sync', 'bfinal', 'bfinal+00')
    fc.assert(fc.property(fc.array(fc.tuple(message, ending), { minLength: 1, maxLength: 6, size: 'max' }), fc.integer({ min: 9, max: 15 }), cuts, fc.boolean(), (items, windowBits, points, keepContext) => {
      let history = Buffer.alloc(0)
      const payloads = items.map(([m, end]) => {
        const options = { windowBits, ...(keepContext && history.length > 0 ? { dictionary: history.subarray(-(1 << windowBits)) } : {}) }
        history = Buffer.concat([history, m]).subarray(-32768)
        if (end === 'sync') {
          const out = deflateRawSync(m, { ...options, ...sync })
          return out.subarray(0, out.length - 4)
        }
        const out = deflateRawSync(m, options)
        return end === 'bfinal' ? out : Buffer.concat([out, Buffer.of(0)])
      })
      const out = inflateAll(engine, keepContext, payloads, splitter(points))
      out.forEach((m, i) => {
        if (!m.equals(items[i][0])) throw new Error(`message ${i} differs`)
      })
    }), { numRuns: 500 })
    t.pass('500 random sequences')
  })
}

t.test('the zlib engine keeps to the window it is given, 9 to 15 bits', async (t) => {
  // Repeats at distances from 300 bytes to 20 KiB: a larger window would refer to them.
  const unit = Buffer.from(Array.from({ length: 300 }, (_, i) => (i * 131) % 256))
  const input = Buffer.concat([unit, unit, Buffer.alloc(2000, 1), unit, Buffer.alloc(20000, 2), unit])
  for (let windowBits = 9; windowBits <= 15; windowBits++) {
    const deflater = new MessageDeflater(zlibEngine.createDeflater({ windowBits, keepContext: false }), { keepContext: false })
    const payload = deflater.compress(input)!
    t.ok(referenceInflate(payload, windowBits).equals(input), `${windowBits} bits: zlib inflates it with a ${1 << windowBits}-byte window`)
    if (windowBits === 15) t.throws(() => referenceInflate(payload, 9), 'and the check can fail: a 15-bit stream needs more than 9 bits')
  }
  t.throws(() => zlibEngine.createDeflater({ windowBits: 8, keepContext: true }), RangeError)
  t.throws(() => fflateEngine.createDeflater({ windowBits: 14, keepContext: true }), RangeError)
  t.equal(zlibEngine.minWindowBits, 9)
  t.equal(fflateEngine.minWindowBits, 15)
})

t.test('a zlib inflater for an 8-bit window takes a 9-bit stream (what zlib peers send for 8)', async (t) => {
  const input = Buffer.concat([Buffer.alloc(100, 7), bytes('x'.repeat(10)), Buffer.alloc(300, 7)])
  const payload = deflateRawSync(input, { windowBits: 9, ...sync })
  const inflater = new MessageInflater(zlibEngine.createInflater({ windowBits: 8, keepContext: false }))
  t.ok(Buffer.from(inflater.inflate(payload.subarray(0, payload.length - 4))).equals(input))
})

t.test('memLevel: 1 to 9 on both engines, a smaller hash table that still round-trips; others refused', async (t) => {
  const input = Buffer.from(JSON.stringify(Array.from({ length: 2000 }, (_, i) => ({ id: i, name: `item ${i % 97}`, ok: i % 3 === 0 }))))
  for (const engine of [fflateEngine, zlibEngine]) {
    const sizes: number[] = []
    for (const memLevel of [1, 5, 6, 8, 9]) {
      const deflater = new MessageDeflater(engine.createDeflater({ windowBits: 15, keepContext: true, memLevel }), { keepContext: true })
      const payload = deflater.compress(input)!
      sizes.push(payload.length)
      t.ok(referenceInflate(payload).equals(input), `${engine.name} memLevel ${memLevel}: zlib inflates it`)
      deflater.close()
    }
    t.ok(sizes[0]! >= sizes[4]!, `${engine.name}: the smallest table compresses no better than the largest (${sizes.join(', ')} bytes)`)
    for (const memLevel of [0, 10, 1.5]) t.throws(() => engine.createDeflater({ windowBits: 15, keepContext: true, memLevel }), RangeError)
  }
  t.throws(() => new PerMessageDeflate({ serverNoContextTakeover: false, clientNoContextTakeover: false, serverMaxWindowBits: 15, clientMaxWindowBits: 15 }, 'server', { memLevel: 0 }), RangeError)
})
