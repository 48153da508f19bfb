import fc from 'fast-check'
import t from 'tap'
import { cipher } from '../src/cipher.js'

/** The definition of RFC 6455 §5.3, one byte at a time: j-th byte XOR key byte (j MOD 4). */
function reference(payload: Uint8Array, mask: number, offset: number): void {
  for (let i = 0; i < payload.length; i++) {
    payload[i] ^= (mask >>> (8 * (3 - ((offset + i) % 4)))) & 0xff
  }
}

t.test('RFC 6455 §5.7: "Hello" masked with 37 fa 21 3d', async (t) => {
  const payload = Uint8Array.from([0x48, 0x65, 0x6c, 0x6c, 0x6f])
  cipher(payload, 0x37fa213d, 0)
  t.same([...payload], [0x7f, 0x9f, 0x4d, 0x51, 0x58])
})

t.test('every length, alignment and offset agrees with the definition', async (t) => {
  const backing = new Uint8Array(300)
  for (let length = 0; length <= 260; length += length < 200 ? 1 : 17) {
    for (let align = 0; align < 4; align++) {
      for (let offset = 0; offset < 8; offset++) {
        for (let i = 0; i < backing.length; i++) backing[i] = (i * 31 + length) & 0xff
        const expected = backing.slice(align, align + length)
        // A view into a larger buffer at every alignment, like a socket chunk.
        const view = backing.subarray(align, align + length)
        cipher(view, 0xa1b2c3d4, offset)
        reference(expected, 0xa1b2c3d4, offset)
        if (!view.every((b, i) => b === expected[i])) {
          t.fail(`length ${length} align ${align} offset ${offset}`)
          return
        }
        // Bytes around the view are untouched.
        const before = (i: number) => ((i * 31 + length) & 0xff)
        if (align > 0 && backing[align - 1] !== before(align - 1)) t.fail('wrote before the view')
        if (backing[align + length] !== before(align + length)) t.fail('wrote after the view')
      }
    }
  }
  t.pass('all agree')
})

t.test('a zero key changes nothing', async (t) => {
  const payload = Uint8Array.from({ length: 200 }, (_, i) => i)
  cipher(payload, 0, 5)
  t.ok(payload.every((b, i) => b === i))
})

t.test('payloads of 2^31 bytes and more are masked to the last byte', async (t) => {
  // 32-bit index arithmetic would go negative here and leave the tail unmasked.
  const length = 2 ** 31 + 5
  const payload = new Uint8Array(length)
  cipher(payload, 0xa1b2c3d4, 1)
  const key = [0xa1, 0xb2, 0xc3, 0xd4]
  for (const i of [0, 1, 2 ** 31 - 1, 2 ** 31, 2 ** 31 + 3, length - 1]) t.equal(payload[i], key[(1 + i) % 4], `byte ${i}`)
})

t.test('property: cipher applied twice is the identity', async (t) => {
  fc.assert(fc.property(fc.uint8Array({ size: 'max', maxLength: 600 }), fc.nat(3), fc.integer({ min: 0, max: 0xffffffff }), fc.nat(1000),
    (data, align, mask, offset) => {
      const backing = new Uint8Array(data.length + align)
      backing.set(data, align)
      const view = backing.subarray(align)
      cipher(view, mask, offset)
      cipher(view, mask, offset)
      return view.every((b, i) => b === data[i])
    }), { numRuns: 2000 })
  t.pass()
})

t.test('property: chunked cipher with offsets equals one call, for any chunking and misalignment', async (t) => {
  let wordPath = 0
  fc.assert(fc.property(
    fc.uint8Array({ size: 'max', minLength: 0, maxLength: 2000 }),
    fc.array(fc.nat(2000), { size: 'max', maxLength: 12 }),
    fc.nat(3),
    fc.integer({ min: 0, max: 0xffffffff }),
    (data, cuts, align, mask) => {
      if (data.length >= 200) wordPath++
      const whole = data.slice()
      cipher(whole, mask, 0)
      const backing = new Uint8Array(data.length + align)
      backing.set(data, align)
      const chunked = backing.subarray(align)
      const points = [...new Set(cuts.map((c) => c % (data.length + 1)))].sort((a, b) => a - b)
      let start = 0
      for (const end of [...points, data.length]) {
        cipher(chunked.subarray(start, end), mask, start)
        start = end
      }
      return chunked.every((b, i) => b === whole[i])
    }), { numRuns: 2000 })
  // fast-check's default size would cap arrays at 10 bytes: make sure the word path is reached.
  t.ok(wordPath > 500, `${wordPath} of 2000 runs were long enough for word-at-a-time masking`)
})
