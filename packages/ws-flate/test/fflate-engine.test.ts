import { readFileSync } from 'node:fs'
import { createRequire } from 'node:module'
import { constants, inflateRawSync } from 'node:zlib'
import fc from 'fast-check'
import { Deflate } from 'fflate'
import t from 'tap'
import { fflateEngine, MessageDeflater } from '../src/index.js'
import { storedBlockFrom } from '../src/fflate-engine.js'

const require = createRequire(import.meta.url)
const tail = Buffer.of(0x00, 0x00, 0xff, 0xff)
const sync = { finishFlush: constants.Z_SYNC_FLUSH }
/** One message on its own, as a peer without context takeover inflates it. */
const inflateAlone = (payload: Uint8Array) => inflateRawSync(Buffer.concat([payload, tail]), sync)
const deflater = (keepContext: boolean, level = 6) => new MessageDeflater(fflateEngine.createDeflater({ level, windowBits: 15, keepContext }), { keepContext })

t.test('issue 12: without context takeover, no message refers back into the one before', async (t) => {
  // The reproduction from the issue: 100,000-byte windows over typescript's package.json
  // (3,620 bytes at the pinned version), repeated cyclically; message 4 failed to inflate.
  const source = readFileSync(require.resolve('typescript/package.json'))
  const slice = (start: number, size: number) => Buffer.from(Array.from({ length: size }, (_, i) => source[(start + i) % source.length]))
  const compressor = deflater(false)
  for (let k = 0; k < 8; k++) {
    const message = slice(k * 100000, 100000)
    t.ok(inflateAlone(compressor.compress(message)!).equals(message), `message ${k}`)
  }
})

t.test("a stream's first message never refers before its start (fflate's own Deflate does, into its zero padding)", async (t) => {
  // Binary with many zeros: fflate 0.8.3's Deflate, new, matches the 32 KiB of zeros it keeps
  // before the data. The first two messages below fail with it (checked just after).
  const messages = [0x51, 0x5eed].map((seed) => {
    let state = seed
    return Buffer.from(Array.from({ length: 3000 }, () => ((state = (state * 1103515245 + 12345) >>> 0) >>> 16) % 4 === 0 ? 1 : 0))
  })
  const upstream = messages.filter((message) => {
    const chunks: Uint8Array[] = []
    const deflate = new Deflate({ level: 6, mem: 4 }, (chunk) => chunks.push(chunk))
    deflate.push(message)
    deflate.flush(true) // with a byte-aligned end, as here, its sync flush is right (see engines.test.ts)
    try {
      return !inflateAlone(Buffer.concat(chunks).subarray(0, -4)).equals(message)
    } catch {
      return true
    }
  })
  t.ok(upstream.length > 0, `fflate's own Deflate gets ${upstream.length} of ${messages.length} wrong`)
  for (const keepContext of [true, false]) {
    for (const message of messages) t.ok(inflateAlone(deflater(keepContext).compress(message)!).equals(message), `${keepContext ? 'with' : 'without'} context takeover`)
  }
})

t.test('with context takeover, a message after a short one is not given the short one again in a stored block', async (t) => {
  // From position 0, fflate copies a call's first stored block from its buffer's start.
  let state = 7
  const random = Buffer.from(Array.from({ length: 5000 }, () => (state = (state * 1103515245 + 12345) >>> 0) >>> 24))
  const compressor = deflater(true)
  const first = compressor.compress(Buffer.from('Hello'))!
  const second = compressor.compress(random)!
  const stream = inflateRawSync(Buffer.concat([first, tail, second, tail]), sync)
  t.equal(stream.length, 5005)
  t.ok(stream.equals(Buffer.concat([Buffer.from('Hello'), random])))
})

t.test('an empty message, fresh or after a reset, is the sync flush alone (not the stale buffer)', async (t) => {
  const raw = fflateEngine.createDeflater({ windowBits: 15, keepContext: false })
  t.equal(inflateRawSync(Buffer.from(raw.write(new Uint8Array(0), true)), sync).length, 0, 'fresh')
  raw.write(Buffer.from('password=hunter2;'.repeat(100)), true)
  raw.reset()
  t.equal(inflateRawSync(Buffer.from(raw.write(new Uint8Array(0), true)), sync).length, 0, 'after a message and a reset')
  const pieces = fflateEngine.createDeflater({ windowBits: 15, keepContext: true })
  const message = Buffer.from('x'.repeat(20000))
  const stream = Buffer.concat([pieces.write(message, false), pieces.write(new Uint8Array(0), true)].map((chunk) => Buffer.from(chunk)))
  t.ok(inflateRawSync(stream, sync).equals(message), 'a message ended by an empty last piece after fflate encoded the rest')
  t.throws(() => fflateEngine.createDeflater({ windowBits: 15, keepContext: false, level: 0 }), RangeError, 'level 0 is not a level here')
})

t.test('with context takeover, short messages then incompressible ones, whole or in pieces, at every level: the stream inflates', async (t) => {
  // Where fflate picks a stored block for a call that starts after earlier data: the mend's case.
  const short = fc.uint8Array({ minLength: 1, maxLength: 64 })
  const incompressible = fc.tuple(fc.integer({ min: 100, max: 30000 }), fc.integer()).map(([length, seed]) => {
    let state = seed >>> 0
    return Buffer.from(Array.from({ length }, () => (state = (Math.imul(state, 1103515245) + 12345) >>> 0) >>> 24))
  })
  fc.assert(fc.property(fc.array(fc.tuple(short, incompressible), { minLength: 1, maxLength: 3 }), fc.integer({ min: 1, max: 9 }), fc.integer({ min: 1, max: 20000 }), (pairs, level, piece) => {
    const raw = fflateEngine.createDeflater({ level, windowBits: 15, keepContext: true })
    const messages = pairs.flat()
    const stream: Buffer[] = []
    for (const message of messages) {
      for (let at = 0; at < message.length; at += piece) stream.push(Buffer.from(raw.write(message.subarray(at, at + piece), at + piece >= message.length)))
    }
    return inflateRawSync(Buffer.concat(stream), sync).equals(Buffer.concat(messages))
  }), { numRuns: 200 })
  t.pass()
})

t.test('storedBlockFrom mends only a stored block, and checks what it mends', async (t) => {
  // A stored block after 3 used bits: header 000 at bits 3-5, LEN at byte 1.
  const block = (bit: number, data: number[]) => {
    const at = bit <= 5 ? 1 : 2
    const out = new Uint8Array(at + 4 + data.length)
    out[0] = 0b101 // the partial byte's used bits
    out.set([data.length, 0, ~data.length & 0xff, 0xff], at)
    out.set(data, at + 4)
    return out
  }
  t.same([...storedBlockFrom(block(3, [1, 2, 3, 4]), 3, 2)], [0b101, 2, 0, 0xfd, 0xff, 3, 4], 'the first 2 bytes dropped')
  t.same([...storedBlockFrom(block(6, [1, 2, 3]), 6, 1)], [0b101, 0, 2, 0, 0xfd, 0xff, 2, 3], 'LEN a byte later when the header spills')
  const fixed = Uint8Array.of(0b1011, 0x00)
  t.equal(storedBlockFrom(fixed, 2, 5), fixed, 'a fixed-Huffman block (type 01) is left alone')
  const whole = block(3, [1])
  t.equal(storedBlockFrom(whole, 3, 0), whole, 'nothing before the data: nothing to drop')
  const corrupt = block(3, [1, 2])
  corrupt[3] = 0
  t.throws(() => storedBlockFrom(corrupt, 3, 1), /not the version it was written for/, 'NLEN is not LEN inverted')
  t.throws(() => storedBlockFrom(block(3, [1]), 3, 2), /not the version it was written for/, 'fewer bytes than it should drop')
})

t.test('without context takeover, a message compresses to the same bytes whatever came before it', async (t) => {
  const message = fc.oneof(
    fc.uint8Array({ maxLength: 40000 }),
    fc.array(fc.constantFrom('{"id":', '12', ',"name":"', 'ü', '"}', '\n', '\0\0'), { maxLength: 6000 }).map((words) => Buffer.from(words.join(''))),
  )
  fc.assert(fc.property(fc.array(message, { maxLength: 4 }), message, fc.constantFrom(1, 6, 9), (before, last, level) => {
    const used = deflater(false, level)
    for (const m of before) used.compress(m)
    const expected = Buffer.from(deflater(false, level).compress(last)!)
    return Buffer.from(used.compress(last)!).equals(expected)
  }), { numRuns: 200 })
  t.pass()
})

t.test('fflate is the version whose internals the engine uses (0.8.3, pinned exactly)', async (t) => {
  const manifest = JSON.parse(readFileSync(new URL('../package.json', import.meta.url), 'utf8')) as { dependencies: Record<string, string> }
  t.equal(manifest.dependencies.fflate, '0.8.3', 'package.json pins it exactly')
  t.equal((JSON.parse(readFileSync(require.resolve('fflate/package.json'), 'utf8')) as { version: string }).version, '0.8.3', 'and it is what is installed')
  // The shape the engine reads and writes: a change in any of it fails here first.
  const deflate = new Deflate({ level: 6, mem: 4 }, () => {}) as unknown as { s: Record<string, unknown>; b: Uint8Array; p: unknown }
  t.same(deflate.s, { l: 0, i: 32768, w: 32768, z: 32768 }, 'a new stream starts at 32768, after 32 KiB of padding')
  t.equal(deflate.b.length, 98304)
  t.equal(typeof deflate.p, 'function', 'p encodes what was pushed')
  ;(deflate as unknown as Deflate).push(Buffer.from('Hello, Hello, Hello'))
  ;(deflate as unknown as Deflate).flush()
  const state = deflate.s as { r: number; h: Uint16Array; p: Uint16Array; i: number; w: number; z: number }
  t.equal(typeof state.r, 'number', 'r: the partial byte and its bit count')
  t.ok(state.h instanceof Uint16Array && state.h.length === 65536, 'h: the hash heads, 2^(12 + mem)')
  t.ok(state.p instanceof Uint16Array && state.p.length === 32768, 'p: the chains, one per window position')
  t.same([state.i, state.w, state.z], [32768 + 17, 32768 + 19, 32768 + 19], 'i, w, z: hashed to, encoded to, data to')
})
