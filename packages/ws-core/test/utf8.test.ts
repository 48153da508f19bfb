import fc from 'fast-check'
import t from 'tap'
import { isValidUtf8, Utf8Validator } from '../src/utf8.js'

const decoderValid = (bytes: Uint8Array): boolean => {
  try {
    new TextDecoder('utf-8', { fatal: true }).decode(bytes)
    return true
  } catch {
    return false
  }
}

/** The index at which a streaming fatal TextDecoder fed one byte at a time fails, or -1. */
const decoderFailure = (bytes: Uint8Array): number => {
  const decoder = new TextDecoder('utf-8', { fatal: true })
  for (let i = 0; i < bytes.length; i++) {
    try {
      decoder.decode(bytes.subarray(i, i + 1), { stream: true })
    } catch {
      return i
    }
  }
  return -1
}

const hex = (s: string) => Uint8Array.from(s.split(' ').filter(Boolean).map((b) => parseInt(b, 16)))

// Valid and invalid sequences in the spirit of Markus Kuhn's UTF-8 stress test, with the index
// of the first byte that can never become valid (or -1) and whether the whole is valid.
const table: [string, string, number, boolean][] = [
  ['empty', '', -1, true],
  ['ascii', '48 65 6c 6c 6f', -1, true],
  ['κόσμε', 'ce ba e1 bd b9 cf 83 ce bc ce b5', -1, true],
  ['U+0080', 'c2 80', -1, true],
  ['U+07FF', 'df bf', -1, true],
  ['U+0800', 'e0 a0 80', -1, true],
  ['U+D7FF', 'ed 9f bf', -1, true],
  ['U+E000', 'ee 80 80', -1, true],
  ['U+FFFF', 'ef bf bf', -1, true],
  ['U+10000', 'f0 90 80 80', -1, true],
  ['U+10FFFF', 'f4 8f bf bf', -1, true],
  ['lone continuation', '80', 0, false],
  ['C0 overlong lead', 'c0 af', 0, false],
  ['C1 overlong lead', 'c1 bf', 0, false],
  ['F5 lead', 'f5 80 80 80', 0, false],
  ['FF', 'ff', 0, false],
  ['FE', 'fe', 0, false],
  ['overlong 3-byte', 'e0 80 af', 1, false],
  ['overlong 4-byte', 'f0 80 80 af', 1, false],
  ['surrogate D800', 'ed a0 80', 1, false],
  ['surrogate DFFF', 'ed bf bf', 1, false],
  ['above U+10FFFF', 'f4 90 80 80', 1, false],
  ['truncated 2-byte', 'c2', -1, false],
  ['truncated 3-byte', 'e1 80', -1, false],
  ['truncated 4-byte', 'f1 80 80', -1, false],
  ['ascii after lead', 'c2 41', 1, false],
  ['autobahn 6.3.1 style', 'ce ba e1 bd b9 cf 83 ce bc ce b5 ed a0 80 65 64 69 74 65 64', 12, false],
  ['noncharacter U+FFFE is valid UTF-8', 'ef bf be', -1, true],
]

t.test('the table of sequences', async (t) => {
  for (const [name, bytes, failure, valid] of table) {
    const input = hex(bytes)
    t.equal(isValidUtf8(input), valid, `${name}: isValidUtf8`)
    t.equal(decoderValid(input), valid, `${name}: TextDecoder agrees with the table`)
    const validator = new Utf8Validator()
    t.equal(validator.write(input), failure, `${name}: first invalid byte`)
    if (failure === -1) t.equal(validator.end(), valid, `${name}: end`)
  }
})

t.test('isValidUtf8 honours start and end', async (t) => {
  const bytes = hex('ff 41 42 ff')
  t.ok(isValidUtf8(bytes, 1, 3))
  t.notOk(isValidUtf8(bytes, 0, 3))
  t.notOk(isValidUtf8(bytes, 1))
})

t.test('the validator fails at the first bad byte of a later piece, and resets', async (t) => {
  const validator = new Utf8Validator()
  t.equal(validator.write(hex('41 e0')), -1)
  t.equal(validator.write(hex('a0 80 42 e0 a0')), -1, 'E0 A0 80 split across pieces')
  t.equal(validator.write(hex('80 ed')), -1)
  t.equal(validator.write(hex('a0 80')), 0, 'ED must be followed by 80..9F (no surrogates)')
  validator.reset()
  t.equal(validator.write(hex('f4')), -1)
  t.equal(validator.write(hex('90')), 0, 'F4 90 is above U+10FFFF')
  validator.reset()
  t.equal(validator.write(hex('e2 82')), -1)
  t.notOk(validator.end(), 'message ending mid-character')
  t.equal(validator.write(hex('41')), -1, 'end() resets for the next message')
  t.ok(validator.end())
  t.equal(validator.write(hex('e0 9f 80')), 1, 'E0 9F is overlong, after a failure')
  validator.reset()
  t.equal(validator.write(hex('c0')), 0, 'a bad lead byte')
  t.equal(validator.write(hex('41')), -1, 'a failed lead byte leaves no partial state behind')
})

const utf8Heavy = fc.oneof(
  fc.uint8Array({ size: 'max', maxLength: 64 }),
  fc.string({ size: 'max', unit: 'binary', maxLength: 32 }).map((s) => new TextEncoder().encode(s)),
  // Valid text with single bytes flipped, truncated or inserted: the adversarial neighbours.
  fc.tuple(fc.string({ size: 'max', unit: 'binary', minLength: 1, maxLength: 24 }), fc.nat(), fc.integer({ min: 0, max: 255 })).map(([s, at, byte]) => {
    const bytes = new TextEncoder().encode(s)
    bytes[at % bytes.length] = byte
    return bytes
  }),
  fc.array(fc.constantFrom(0x41, 0x7f, 0x80, 0x8f, 0x90, 0x9f, 0xa0, 0xbf, 0xc0, 0xc1, 0xc2, 0xdf, 0xe0, 0xed, 0xef, 0xf0, 0xf4, 0xf5, 0xff), { size: 'max', maxLength: 12 }).map((a) => Uint8Array.from(a)),
)

t.test('property: isValidUtf8 agrees with a fatal TextDecoder', async (t) => {
  fc.assert(fc.property(utf8Heavy, (bytes) => isValidUtf8(bytes) === decoderValid(bytes)), { numRuns: 20000 })
  t.pass()
})

t.test('property: the incremental validator fails where a streaming TextDecoder does, under every chunking', async (t) => {
  fc.assert(fc.property(utf8Heavy, fc.array(fc.nat(), { size: 'max', maxLength: 8 }), (bytes, cuts) => {
    const expectedFailure = decoderFailure(bytes)
    const points = [...new Set(cuts.map((c) => c % (bytes.length + 1)))].sort((a, b) => a - b)
    const validator = new Utf8Validator()
    let start = 0
    let failure = -1
    for (const end of [...points, bytes.length]) {
      failure = validator.write(bytes, start, end)
      if (failure !== -1) break
      start = end
    }
    if (failure !== expectedFailure) return false
    return failure !== -1 || validator.end() === decoderValid(bytes)
  }), { numRuns: 20000 })
  t.pass()
})

t.test('one byte at a time, every byte value after every lead byte', async (t) => {
  let mismatches = 0
  for (let lead = 0x80; lead <= 0xff; lead++) {
    for (let next = 0; next <= 0xff; next++) {
      const bytes = Uint8Array.from([lead, next, 0x80, 0x80])
      const validator = new Utf8Validator()
      let failure = -1
      for (let i = 0; i < bytes.length && failure === -1; i++) {
        failure = validator.write(bytes, i, i + 1)
      }
      if (failure !== decoderFailure(bytes)) mismatches++
    }
  }
  t.equal(mismatches, 0)
})
