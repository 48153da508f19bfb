import t from 'tap'
import { parseCloseBody } from '../src/close-body.js'
import {
  compileFrame, CompiledClose, CompiledCloseNormalClosure, CompiledPing, CompiledPong, maskFrame, maskFrameInPlace,
  maskFrameInPlaceWith, maskFrameWith, newBinaryFrame, newCloseFrame, newFrame, newPingFrame, newPongFrame, newTextFrame,
  unmaskFrame, unmaskFrameInPlace,
} from '../src/frame.js'
import { newHeader, readHeader } from '../src/header.js'
import { OpCode } from '../src/opcode.js'
import { exampleMask, hello, rfcExamples } from './rfc-examples.js'

t.test('RFC 6455 §5.7 examples are written byte for byte', async (t) => {
  for (const example of rfcExamples) {
    let frame = newFrame(example.opCode, example.fin, Uint8Array.from(example.payload))
    if (example.masked) frame = maskFrameWith(frame, exampleMask)
    t.same([...compileFrame(frame)], example.bytes, example.name)
  }
  t.same([...compileFrame(newTextFrame('Hello'))], [0x81, 0x05, ...hello], 'text from a string')
  t.same([...compileFrame(maskFrameWith(newPongFrame('Hello'), exampleMask))], rfcExamples[5].bytes, 'masked pong from a string')
})

t.test('constructors keep the caller\'s bytes and set the header', async (t) => {
  const payload = Uint8Array.from([1, 2, 3])
  const binary = newBinaryFrame(payload)
  t.equal(binary.payload, payload, 'not copied')
  t.same(binary.header, { fin: true, rsv: 0, opCode: OpCode.Binary, masked: false, mask: 0, length: 3 })
  t.equal(newTextFrame(payload).payload, payload)
  t.equal(newPingFrame().header.length, 0)
  t.equal(newPingFrame(payload).header.opCode, OpCode.Ping)
  t.equal(newPongFrame().header.opCode, OpCode.Pong)
  const close = newCloseFrame(1001, 'away')
  t.equal(close.header.opCode, OpCode.Close)
  t.same(parseCloseBody(close.payload), { code: 1001, reason: new TextEncoder().encode('away') })
  t.equal(newCloseFrame().payload.length, 0)
  t.throws(() => newPingFrame(new Uint8Array(126)), RangeError, 'control frame over 125 bytes')
  t.throws(() => newFrame(OpCode.Pong, false, new Uint8Array(0)), RangeError, 'fragmented control frame')
  t.doesNotThrow(() => newFrame(OpCode.Text, false, new Uint8Array(200)), 'fragmented data frame')
  for (const opCode of [3, 7, 0xb, 0xf, 16, -1]) t.throws(() => newFrame(opCode, true, new Uint8Array(0)), RangeError, `opcode ${opCode}`)
})

t.test('masking copies or works in place, as named', async (t) => {
  const payload = Uint8Array.from(hello)
  const frame = newTextFrame(payload)
  const masked = maskFrame(frame)
  t.not(masked.payload, payload)
  t.same([...payload], hello, 'maskFrame leaves the original payload alone')
  t.equal(frame.header.masked, false, 'and its header')
  t.ok(masked.header.masked)
  t.not(masked.header.mask, 0)
  const unmasked = unmaskFrame(masked)
  t.same([...unmasked.payload], hello)
  t.same(unmasked.header, frame.header)
  t.same([...masked.payload], [...maskFrameWith(frame, masked.header.mask).payload], 'unmaskFrame leaves its input alone')

  const same = maskFrameInPlaceWith(frame, exampleMask)
  t.equal(same, frame)
  t.equal(frame.payload, payload)
  t.same([...payload], [0x7f, 0x9f, 0x4d, 0x51, 0x58], 'the caller\'s bytes are masked where they lie')
  unmaskFrameInPlace(frame)
  t.same([...payload], hello)
  t.same(frame.header, { fin: true, rsv: 0, opCode: OpCode.Text, masked: false, mask: 0, length: 5 })
  maskFrameInPlace(frame)
  t.ok(frame.header.masked)
  t.notSame([...payload], hello)
  t.throws(() => maskFrameWith(frame, 1), RangeError, 'a masked frame is not masked twice')
  t.throws(() => maskFrameInPlace(frame), RangeError)
  t.throws(() => compileFrame({ header: { ...frame.header, length: 4 }, payload }), RangeError, 'header and payload lengths differ')
})

t.test('the copying functions copy a Node Buffer too (whose slice() is a view)', async (t) => {
  const payload = Buffer.from(hello)
  const masked = maskFrameWith(newBinaryFrame(payload), exampleMask)
  t.same([...payload], hello, 'maskFrameWith left the caller\'s Buffer alone')
  const maskedBuffer = Buffer.from(masked.payload)
  unmaskFrame({ header: masked.header, payload: maskedBuffer })
  t.same([...maskedBuffer], [0x7f, 0x9f, 0x4d, 0x51, 0x58], 'unmaskFrame left the caller\'s Buffer alone')
})

t.test('prebuilt control frames are what they claim', async (t) => {
  const cases: [Uint8Array, number[]][] = [
    [CompiledPing, [0x89, 0x00]],
    [CompiledPong, [0x8a, 0x00]],
    [CompiledClose, [0x88, 0x00]],
    [CompiledCloseNormalClosure, [0x88, 0x02, 0x03, 0xe8]],
  ]
  for (const [bytes, expected] of cases) {
    t.same([...bytes], expected)
    const header = newHeader()
    t.equal(readHeader(bytes, 0, header) + header.length, bytes.length)
  }
})
