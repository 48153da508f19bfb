import { readFileSync } from 'node:fs'
import fc from 'fast-check'
import t from 'tap'
import wabt from 'wabt'
import { cipher } from '@ws-toolkit/ws-core'
import { simdCipher, simdThreshold } from '../src/index.js'

t.test('the embedded module is simd-cipher.wat, compiled', async (t) => {
  const source = readFileSync(new URL('../src/simd-cipher.wat', import.meta.url), 'utf8')
  const compiled = Buffer.from((await wabt()).parseWat('simd-cipher.wat', source, { simd: true }).toBinary({}).buffer)
  const embedded = /Buffer\.from\('([^']+)', 'base64'\)/.exec(readFileSync(new URL('../src/simd-cipher.ts', import.meta.url), 'utf8'))![1]
  t.equal(embedded, compiled.toString('base64'))
})

t.test('RFC 6455 §5.7: "Hello" masked with 37 fa 21 3d, below and above the threshold', async (t) => {
  const hello = Buffer.from('Hello')
  simdCipher(hello, 0x37fa213d, 0)
  t.equal(hello.toString('hex'), '7f9f4d5158')
  const long = Buffer.from('Hello'.repeat(200))
  simdCipher(long, 0x37fa213d, 0)
  t.equal(long.subarray(0, 10).toString('hex'), '7f9f4d5158' + 'b244515b95')
})

t.test('property: the same bytes as ws-core\'s cipher, for any length, offset, alignment and key', async (t) => {
  let simd = 0
  fc.assert(fc.property(
    fc.integer({ min: 0, max: 200_000 }), fc.integer({ min: 0, max: 7 }), fc.integer({ min: 0, max: 0xffffffff }), fc.integer({ min: 0, max: 1000 }),
    (length, misalign, mask, offset) => {
      const memory = new Uint8Array(length + 8)
      for (let i = 0; i < memory.length; i++) memory[i] = (i * 31 + 7) & 0xff
      const expected = memory.slice(misalign, misalign + length)
      cipher(expected, mask, offset)
      const payload = memory.subarray(misalign, misalign + length)
      simdCipher(payload, mask, offset)
      if (length >= simdThreshold && mask !== 0) simd++
      const before = (i: number) => memory[i] === ((i * 31 + 7) & 0xff)
      return Buffer.from(payload).equals(Buffer.from(expected)) && before(misalign - 1 < 0 ? memory.length - 1 : misalign - 1) && before(misalign + length)
    }), { numRuns: 300 })
  t.ok(simd > 200, `${simd} of 300 runs took the WebAssembly path`)
})

t.test('chunk by chunk equals one call, across 64 KiB blocks', async (t) => {
  const whole = new Uint8Array(300_000).map((_, i) => i)
  const pieces = whole.slice()
  simdCipher(whole, 0xdeadbeef, 0)
  for (const [start, end] of [[0, 1], [1, 700], [700, 70_001], [70_001, 70_003], [70_003, 300_000]]) {
    simdCipher(pieces.subarray(start, end), 0xdeadbeef, start)
  }
  t.ok(Buffer.from(whole).equals(Buffer.from(pieces)))
})

/** bytes fills `length` bytes with a pattern that differs from byte to byte and from run to run. */
const bytes = (length: number, seed: number) => new Uint8Array(length).map((_, i) => (i * 31 + seed) & 0xff)

t.test('property: every length 0..300, at byteOffsets 0..7 of a larger buffer, the bytes around left alone', async (t) => {
  fc.assert(fc.property(
    fc.integer({ min: 0, max: 0xffffffff }), fc.integer({ min: 0, max: 2 ** 31 }), fc.integer({ min: 0, max: 7 }), fc.integer({ min: 0, max: 255 }),
    (mask, offset, at, seed) => {
      for (let length = 0; length <= 300; length++) {
        const memory = bytes(at + length + 16, seed)
        const original = memory.slice()
        const expected = memory.slice(at, at + length)
        cipher(expected, mask, offset)
        simdCipher(memory.subarray(at, at + length), mask, offset)
        if (!Buffer.from(memory.subarray(at, at + length)).equals(expected)) return false
        if (!Buffer.from(memory.subarray(0, at)).equals(original.subarray(0, at))) return false
        if (!Buffer.from(memory.subarray(at + length)).equals(original.subarray(at + length))) return false
      }
      return true
    }), { numRuns: 40 })
  t.pass()
})

t.test('property: large payloads around the 64 KiB block, at odd byteOffsets, masked twice give the bytes back', async (t) => {
  fc.assert(fc.property(
    fc.constantFrom(65535, 65536, 65537, 131071, 131072, 131075, 200_003, 1 << 20, (1 << 20) + 5),
    fc.integer({ min: 1, max: 0xffffffff }), fc.integer({ min: 0, max: 2 ** 31 }), fc.constantFrom(0, 1, 3, 5, 7),
    (length, mask, offset, at) => {
      const memory = bytes(at + length + 8, length)
      const original = memory.slice()
      const expected = memory.slice(at, at + length)
      cipher(expected, mask, offset)
      const payload = memory.subarray(at, at + length)
      simdCipher(payload, mask, offset)
      if (!Buffer.from(payload).equals(expected)) return false
      if (memory[at - 1] !== original[at - 1] || memory[at + length] !== original[at + length]) return false
      simdCipher(payload, mask, offset)
      return Buffer.from(memory).equals(original)
    }), { numRuns: 30 })
  t.pass()
})

t.test('property: a payload masked in pieces at any split points equals one call', async (t) => {
  fc.assert(fc.property(
    fc.integer({ min: 0, max: 140_000 }), fc.array(fc.integer({ min: 0, max: 140_000 }), { maxLength: 6 }),
    fc.integer({ min: 0, max: 0xffffffff }), fc.integer({ min: 0, max: 1000 }),
    (length, cuts, mask, offset) => {
      const whole = bytes(length, 3)
      const pieces = whole.slice()
      cipher(whole, mask, offset)
      const points = [0, ...cuts.map((c) => c % (length + 1)).sort((a, b) => a - b), length]
      for (let i = 1; i < points.length; i++) simdCipher(pieces.subarray(points[i - 1], points[i]), mask, offset + points[i - 1])
      return Buffer.from(whole).equals(Buffer.from(pieces))
    }), { numRuns: 100 })
  t.pass()
})

t.test('Buffers from the shared pool and over a SharedArrayBuffer, beside other data', async (t) => {
  const mask = 0x01020304
  for (const length of [96, 97, 1000, 4099]) {
    const neighbour = Buffer.alloc(7, 0xaa)
    const pooled = Buffer.allocUnsafe(length).fill(0x5c)
    simdCipher(pooled, mask, 1)
    const expected = Buffer.alloc(length, 0x5c)
    cipher(expected, mask, 1)
    t.ok(pooled.equals(expected), `pooled Buffer of ${length} bytes at byteOffset ${pooled.byteOffset}`)
    t.ok(neighbour.equals(Buffer.alloc(7, 0xaa)))
    const shared = new Uint8Array(new SharedArrayBuffer(length + 2), 1, length).fill(0x5c)
    simdCipher(shared, mask, 1)
    t.ok(Buffer.from(shared).equals(expected), `SharedArrayBuffer of ${length} bytes at byteOffset 1`)
  }
})
