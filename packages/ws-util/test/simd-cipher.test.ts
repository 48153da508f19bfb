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
