import fc from 'fast-check'
import t, { type Test } from 'tap'
import { ErrorCode, LimitError, ProtocolError } from '../src/errors.js'
import { type Header, headerSize, MaxHeaderSize, newHeader, readHeader, writeHeader } from '../src/header.js'
import { cipher } from '../src/cipher.js'
import { expectError } from './assert-error.js'
import { exampleMask, rfcExamples } from './rfc-examples.js'

t.test('RFC 6455 §5.7 examples are read byte for byte', async (t) => {
  for (const example of rfcExamples) {
    const bytes = Uint8Array.from(example.bytes)
    const header = newHeader()
    const size = readHeader(bytes, 0, header)
    t.equal(size, example.masked ? 6 : bytes.length - example.payload.length, example.name)
    t.same(header, {
      fin: example.fin, rsv: 0, opCode: example.opCode, masked: example.masked,
      mask: example.masked ? exampleMask : 0, length: example.payload.length,
    }, example.name)
    const payload = bytes.subarray(size)
    cipher(payload, header.mask, 0)
    t.same([...payload], example.payload, `${example.name}: payload`)
  }
})

t.test('RFC 6455 §5.7 example headers are written byte for byte', async (t) => {
  for (const example of rfcExamples) {
    const header: Header = {
      fin: example.fin, rsv: 0, opCode: example.opCode, masked: example.masked,
      mask: example.masked ? exampleMask : 0, length: example.payload.length,
    }
    const size = headerSize(header)
    const bytes = new Uint8Array(size)
    t.equal(writeHeader(bytes, 0, header), size, example.name)
    t.same([...bytes], example.bytes.slice(0, size), example.name)
  }
})

t.test('readHeader needs every header byte and never reads past the input', async (t) => {
  for (const example of rfcExamples) {
    const whole = Uint8Array.from(example.bytes)
    const size = readHeader(whole, 0, newHeader())
    for (let cut = 0; cut < size; cut++) {
      const header = newHeader()
      t.equal(readHeader(whole.subarray(0, cut), 0, header), 0, `${example.name} cut at ${cut}`)
      t.same(header, newHeader(), 'nothing written when incomplete')
    }
    // The header may sit anywhere in a larger buffer.
    const shifted = new Uint8Array(size + 7)
    shifted.set(whole.subarray(0, size), 7)
    t.equal(readHeader(shifted, 7, newHeader()), size)
    t.equal(readHeader(shifted.subarray(0, 6 + size), 7, newHeader()), 0, 'one byte short at an offset')
  }
  t.equal(readHeader(new Uint8Array(4), 4, newHeader()), 0, 'offset at the end')
  t.equal(readHeader(new Uint8Array(4), 9, newHeader()), 0, 'offset past the end')
  for (const offset of [-1, NaN, 0.5]) t.throws(() => readHeader(new Uint8Array(8), offset, newHeader()), RangeError, `offset ${offset}`)
})

function expectReadError(t: Test, bytes: number[], cls: typeof ProtocolError | typeof LimitError, code: string, closeCode: number) {
  expectError(t, () => readHeader(Uint8Array.from(bytes), 0, newHeader()), cls, code, closeCode)
}

t.test('readHeader rejects lengths it must not accept', async (t) => {
  // §5.2: 126 announces a 16-bit length, which must then be at least 126.
  expectReadError(t, [0x82, 0x7e, 0x00, 0x7d], ProtocolError, ErrorCode.LengthNotMinimal, 1002)
  expectReadError(t, [0x82, 0x7e, 0x00, 0x00], ProtocolError, ErrorCode.LengthNotMinimal, 1002)
  // §5.2: 127 announces a 64-bit length, which must then be at least 65536.
  expectReadError(t, [0x82, 0x7f, 0, 0, 0, 0, 0, 0, 0xff, 0xff], ProtocolError, ErrorCode.LengthNotMinimal, 1002)
  expectReadError(t, [0x82, 0x7f, 0, 0, 0, 0, 0, 0, 0, 5], ProtocolError, ErrorCode.LengthNotMinimal, 1002)
  // §5.2: the most significant bit of the 64-bit length must be 0.
  expectReadError(t, [0x82, 0x7f, 0x80, 0, 0, 0, 0, 0, 0, 0], ProtocolError, ErrorCode.LengthHighBit, 1002)
  expectReadError(t, [0x82, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 1, 2, 3, 4], ProtocolError, ErrorCode.LengthHighBit, 1002)
  // 2^53 is one too many for a number.
  expectReadError(t, [0x82, 0x7f, 0x00, 0x20, 0, 0, 0, 0, 0, 0], LimitError, ErrorCode.LengthTooLarge, 1009)
  expectReadError(t, [0x82, 0x7f, 0x7f, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff], LimitError, ErrorCode.LengthTooLarge, 1009)
})

t.test('readHeader accepts the boundary lengths', async (t) => {
  const cases: [number[], number][] = [
    [[0x82, 0x7d], 125],
    [[0x82, 0x7e, 0x00, 0x7e], 126],
    [[0x82, 0x7e, 0xff, 0xff], 65535],
    [[0x82, 0x7f, 0, 0, 0, 0, 0, 1, 0, 0], 65536],
    [[0x82, 0x7f, 0, 0, 0, 1, 0, 0, 0, 0], 2 ** 32],
    [[0x82, 0x7f, 0x00, 0x1f, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff], 2 ** 53 - 1],
  ]
  for (const [bytes, length] of cases) {
    const header = newHeader()
    t.equal(readHeader(Uint8Array.from(bytes), 0, header), bytes.length)
    t.equal(header.length, length)
  }
})

t.test('readHeader reads every bit of the first two bytes', async (t) => {
  const header = newHeader()
  readHeader(Uint8Array.from([0b0111_1010, 0x80, 0xde, 0xad, 0xbe, 0xef]), 0, header)
  t.same(header, { fin: false, rsv: 0b111, opCode: 0xa, masked: true, mask: 0xdeadbeef, length: 0 })
  readHeader(Uint8Array.from([0b1100_0001, 0x00]), 0, header)
  t.same(header, { fin: true, rsv: 0b100, opCode: 1, masked: false, mask: 0, length: 0 }, 'a reused header is overwritten')
})

t.test('headerSize and writeHeader use the minimal encoding', async (t) => {
  const sizes: [number, number][] = [[0, 2], [125, 2], [126, 4], [65535, 4], [65536, 10], [2 ** 53 - 1, 10]]
  for (const [length, size] of sizes) {
    t.equal(headerSize({ ...newHeader(), length }), size, `length ${length}`)
    t.equal(headerSize({ ...newHeader(), length, masked: true }), size + 4, `masked length ${length}`)
  }
  t.equal(MaxHeaderSize, 14)
})

t.test('writeHeader refuses what it cannot write', async (t) => {
  const header = { ...newHeader(), length: 200, masked: true, mask: 1 }
  t.throws(() => writeHeader(new Uint8Array(7), 0, header), RangeError, 'too small')
  t.throws(() => writeHeader(new Uint8Array(8), 1, header), RangeError, 'does not fit at offset')
  t.throws(() => writeHeader(new Uint8Array(8), -1, header), RangeError, 'negative offset')
  for (const length of [-1, 1.5, 2 ** 53, NaN, Infinity]) {
    t.throws(() => writeHeader(new Uint8Array(14), 0, { ...newHeader(), length }), RangeError, `length ${length}`)
  }
  t.throws(() => writeHeader(new Uint8Array(14), 0.5, header), RangeError, 'fractional offset')
  for (const opCode of [-1, 16, 0x11, 1.5]) t.throws(() => writeHeader(new Uint8Array(14), 0, { ...newHeader(), opCode }), RangeError, `opcode ${opCode}`)
  for (const rsv of [-1, 8, 0.5]) t.throws(() => writeHeader(new Uint8Array(14), 0, { ...newHeader(), rsv }), RangeError, `rsv ${rsv}`)
  t.equal(writeHeader(new Uint8Array(9), 1, header), 8, 'fits exactly')
})

const arbitraryHeader = fc.record({
  fin: fc.boolean(),
  rsv: fc.integer({ min: 0, max: 7 }),
  opCode: fc.integer({ min: 0, max: 15 }),
  masked: fc.boolean(),
  mask: fc.integer({ min: 0, max: 0xffffffff }),
  length: fc.oneof(
    fc.integer({ min: 0, max: 130 }),
    fc.integer({ min: 65530, max: 65540 }),
    fc.constantFrom(126, 127, 65535, 65536, 2 ** 32 - 1, 2 ** 32, 2 ** 53 - 1),
    fc.integer({ min: 0, max: Number.MAX_SAFE_INTEGER }),
  ),
}).map((h) => ({ ...h, mask: h.masked ? h.mask : 0 }))

t.test('property: writeHeader then readHeader is the identity, at every split point', async (t) => {
  fc.assert(fc.property(arbitraryHeader, fc.integer({ min: 0, max: 20 }), (header, offset) => {
    const size = headerSize(header)
    const bytes = new Uint8Array(offset + size)
    if (writeHeader(bytes, offset, header) !== size) return false
    for (let cut = offset; cut < bytes.length; cut++) {
      if (readHeader(bytes.subarray(0, cut), offset, newHeader()) !== 0) return false
    }
    const read = newHeader()
    return readHeader(bytes, offset, read) === size && JSON.stringify(read) === JSON.stringify(header)
  }), { numRuns: 5000 })
  t.pass('round trip held')
})
