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
  for (let length = 0; length <= 260; length += length < 80 ? 1 : 17) {
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

t.test('a zero key and an empty payload change nothing', async (t) => {
  const payload = Uint8Array.from([1, 2, 3])
  cipher(payload, 0, 5)
  t.same([...payload], [1, 2, 3])
  cipher(new Uint8Array(0), 0x12345678, 0)
  t.pass()
})

t.test('property: cipher applied twice is the identity', async (t) => {
  fc.assert(fc.property(fc.uint8Array({ maxLength: 600 }), fc.nat(3), fc.integer({ min: 0, max: 0xffffffff }), fc.nat(1000),
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
  fc.assert(fc.property(
    fc.uint8Array({ minLength: 0, maxLength: 2000 }),
    fc.array(fc.nat(2000), { maxLength: 12 }),
    fc.nat(3),
    fc.integer({ min: 0, max: 0xffffffff }),
    (data, cuts, align, mask) => {
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
  t.pass()
})
