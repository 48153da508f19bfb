import fc from 'fast-check'
import t, { type Test } from 'tap'
import {
  compileFrame, encodeCloseBody, ErrorCode, InvalidPayloadError, LimitError, maskFrameWith, newFrame, OpCode, ProtocolError, Rsv1,
  type WebSocketError,
} from '@ws-toolkit/ws-core'
import { type DecoderLimits, FrameDecoder } from '../src/decoder.js'

type Event = ['message', number, string] | ['control', number, string]

/** A decoder that records complete messages (payloads joined) and control frames, as hex. */
function recorder(side: 'server' | 'client' = 'server', limits: Partial<DecoderLimits> = {}, allowedRsv = 0) {
  const events: Event[] = []
  let pieces: number[] = []
  const frames: number[] = []
  const decoder = new FrameDecoder(side, {
    onDataFrame: (header) => frames.push(header.length),
    onData: (payload) => pieces.push(...payload),
    onMessageEnd: (opCode) => {
      events.push(['message', opCode, Buffer.from(pieces).toString('hex')])
      pieces = []
    },
    onControl: (opCode, payload) => events.push(['control', opCode, Buffer.from(payload).toString('hex')]),
  }, { limits, allowedRsv })
  return { decoder, events, frames, pieces: () => pieces }
}

const frame = (opCode: number, fin: boolean, payload: Uint8Array | number[] | string, mask = 0x1a2b3c4d, rsv = 0): Uint8Array => {
  const bytes = typeof payload === 'string' ? new TextEncoder().encode(payload) : Uint8Array.from(payload)
  const f = newFrame(opCode, fin, bytes)
  f.header.rsv = rsv
  return compileFrame(mask === 0 ? f : maskFrameWith(f, mask))
}
const join = (...parts: Uint8Array[]) => Buffer.concat(parts)

function expectError(t: Test, fn: () => unknown, cls: abstract new (...a: never[]) => WebSocketError, code: string, closeCode: number) {
  try {
    fn()
    t.fail(`no ${code}`)
  } catch (error) {
    t.ok(error instanceof cls, `${code}: ${cls.name}`)
    t.equal((error as WebSocketError).code, code)
    t.equal((error as WebSocketError).closeCode, closeCode)
  }
}

t.test('RFC 6455 §5.7 examples, as a client (unmasked) and a server (masked)', async (t) => {
  const client = recorder('client')
  client.decoder.push(Uint8Array.from([0x81, 0x05, 0x48, 0x65, 0x6c, 0x6c, 0x6f]))
  client.decoder.push(Uint8Array.from([0x01, 0x03, 0x48, 0x65, 0x6c, 0x89, 0x00, 0x80, 0x02, 0x6c, 0x6f]))
  t.same(client.events, [['message', 1, '48656c6c6f'], ['control', 9, ''], ['message', 1, '48656c6c6f']])
  const server = recorder('server')
  server.decoder.push(Uint8Array.from([0x81, 0x85, 0x37, 0xfa, 0x21, 0x3d, 0x7f, 0x9f, 0x4d, 0x51, 0x58]))
  server.decoder.push(Uint8Array.from([0x8a, 0x85, 0x37, 0xfa, 0x21, 0x3d, 0x7f, 0x9f, 0x4d, 0x51, 0x58]))
  t.same(server.events, [['message', 1, '48656c6c6f'], ['control', 10, '48656c6c6f']])
})

t.test('payloads are views into the pushed chunk, unmasked in place', async (t) => {
  const chunk = frame(OpCode.Binary, true, [1, 2, 3, 4, 5, 6])
  let seen: Uint8Array | undefined
  const decoder = new FrameDecoder('server', { onData: (payload) => (seen = payload), onMessageEnd: () => {}, onControl: () => {} })
  decoder.push(chunk)
  t.equal(seen!.buffer, chunk.buffer, 'not copied')
  t.same([...chunk.subarray(6)], [1, 2, 3, 4, 5, 6], 'the chunk itself was unmasked')
})

/** Messages: each a list of fragments, with a ping after some of them. */
const arbitraryTraffic = fc.array(fc.record({
  text: fc.boolean(),
  fragments: fc.array(fc.uint8Array({ size: 'max', maxLength: 300 }), { minLength: 1, maxLength: 5 }),
  ping: fc.option(fc.uint8Array({ maxLength: 125 }), { nil: undefined }),
}), { minLength: 1, maxLength: 6 })

t.test('property: the same events whatever the chunking, down to one byte a push', async (t) => {
  fc.assert(fc.property(arbitraryTraffic, fc.array(fc.integer({ min: 1, max: 64 }), { size: 'max', minLength: 1, maxLength: 20 }), fc.boolean(),
    (traffic, sizes, byteByByte) => {
      const expected: Event[] = []
      const parts: Uint8Array[] = []
      for (const message of traffic) {
        // Text payloads must be UTF-8: use the hex of the bytes.
        const fragments = message.text ? message.fragments.map((f) => new TextEncoder().encode(Buffer.from(f).toString('hex'))) : message.fragments
        fragments.forEach((payload, i) => {
          parts.push(frame(i === 0 ? (message.text ? OpCode.Text : OpCode.Binary) : OpCode.Continuation, i === fragments.length - 1, payload, 0x01020304 * (i + 1)))
          if (message.ping !== undefined && i < fragments.length - 1) {
            parts.push(frame(OpCode.Ping, true, message.ping, 0x55667788))
            expected.push(['control', OpCode.Ping, Buffer.from(message.ping).toString('hex')])
          }
        })
        expected.push(['message', message.text ? 1 : 2, Buffer.from(Buffer.concat(fragments)).toString('hex')])
      }
      const wire = join(...parts)
      const { decoder, events } = recorder()
      let offset = 0
      for (let i = 0; offset < wire.length; i++) {
        const size = byteByByte ? 1 : sizes[i % sizes.length]
        decoder.push(wire.subarray(offset, offset + size))
        offset += size
      }
      return JSON.stringify(events) === JSON.stringify(expected)
    }), { numRuns: 300 })
  t.pass()
})

t.test('what it buffers is bounded: a header split into single bytes, a control frame too', async (t) => {
  const { decoder, events } = recorder()
  const wire = join(frame(OpCode.Binary, true, new Uint8Array(70000).fill(9)), frame(OpCode.Close, true, encodeCloseBody(1000, 'bye')))
  for (let i = 0; i < 14; i++) decoder.push(wire.subarray(i, i + 1))
  decoder.push(wire.subarray(14, wire.length - 3))
  decoder.push(wire.subarray(wire.length - 3, wire.length - 1))
  decoder.push(wire.subarray(wire.length - 1))
  t.same(events.map((e) => e.slice(0, 2)), [['message', 2], ['control', 8]])
  t.equal(events[1][2], Buffer.from(encodeCloseBody(1000, 'bye')).toString('hex'))
})

t.test('empty frames and messages', async (t) => {
  const { decoder, events, frames } = recorder()
  decoder.push(join(frame(OpCode.Text, true, ''), frame(OpCode.Binary, false, []), frame(OpCode.Continuation, true, []), frame(OpCode.Ping, true, [])))
  t.same(events, [['message', 1, ''], ['message', 2, ''], ['control', 9, '']])
  t.same(frames, [0, 0, 0])
})

t.test('text fails at the first invalid byte, before the frame is complete (§8.1)', async (t) => {
  const { decoder, pieces } = recorder()
  const wire = frame(OpCode.Text, true, [0x41, 0x42, 0xce, 0xba, 0xed, 0xa0, 0x80, 0x41, 0x42, 0x43])
  decoder.push(wire.subarray(0, 6 + 4))
  t.same(pieces(), [0x41, 0x42, 0xce, 0xba], 'valid so far')
  expectError(t, () => decoder.push(wire.subarray(10, 12)), InvalidPayloadError, ErrorCode.InvalidUtf8, 1007)
  expectError(t, () => decoder.push(wire.subarray(12)), InvalidPayloadError, ErrorCode.InvalidUtf8, 1007)
  const split = recorder()
  split.decoder.push(frame(OpCode.Text, false, [0x41, 0xe2, 0x82]))
  expectError(t, () => split.decoder.push(frame(OpCode.Continuation, true, [0xac, 0xe2])), InvalidPayloadError, ErrorCode.InvalidUtf8, 1007)
  const fine = recorder()
  fine.decoder.push(join(frame(OpCode.Text, false, [0x41, 0xe2, 0x82]), frame(OpCode.Continuation, true, [0xac])))
  t.same(fine.events, [['message', 1, '41e282ac']], 'a character split across fragments')
})

t.test('a compressed message (RSV1 allowed) is not checked as UTF-8 here', async (t) => {
  const compressed: boolean[] = []
  const decoder = new FrameDecoder('server', { onData: () => {}, onMessageEnd: (_op, c) => compressed.push(c), onControl: () => {} }, { allowedRsv: Rsv1 })
  decoder.push(frame(OpCode.Text, true, [0xff, 0xfe], 0x01010101, Rsv1))
  decoder.push(frame(OpCode.Text, true, 'plain'))
  t.same(compressed, [true, false])
})

t.test('every limit, with its code and close code', async (t) => {
  const frameLimit = recorder('server', { maxFrameSize: 10 })
  frameLimit.decoder.push(frame(OpCode.Binary, true, new Uint8Array(10)))
  expectError(t, () => frameLimit.decoder.push(frame(OpCode.Binary, true, new Uint8Array(11)).subarray(0, 6)), LimitError, ErrorCode.FrameTooLarge, 1009)

  const messageLimit = recorder('server', { maxMessageSize: 20 })
  messageLimit.decoder.push(join(frame(OpCode.Binary, false, new Uint8Array(10)), frame(OpCode.Continuation, true, new Uint8Array(10))))
  messageLimit.decoder.push(frame(OpCode.Binary, false, new Uint8Array(15)))
  expectError(t, () => messageLimit.decoder.push(frame(OpCode.Continuation, true, new Uint8Array(6)).subarray(0, 6)), LimitError, ErrorCode.MessageTooLarge, 1009)

  const fragmentLimit = recorder('server', { maxFragments: 3 })
  fragmentLimit.decoder.push(join(frame(OpCode.Text, false, 'a'), frame(OpCode.Continuation, false, ''), frame(OpCode.Continuation, true, 'b')))
  t.same(fragmentLimit.events, [['message', 1, '6162']], 'exactly the limit')
  fragmentLimit.decoder.push(join(frame(OpCode.Text, false, 'a'), frame(OpCode.Continuation, false, ''), frame(OpCode.Continuation, false, '')))
  expectError(t, () => fragmentLimit.decoder.push(frame(OpCode.Continuation, true, '')), LimitError, ErrorCode.TooManyFragments, 1008)
})

t.test('the default limits let a 16 MiB message in 64-byte fragments through', async (t) => {
  const { decoder, events } = recorder()
  const fragment = new Uint8Array(64).fill(1)
  const count = (16 * 1024 * 1024) / 64
  decoder.push(frame(OpCode.Binary, false, fragment))
  const middle = frame(OpCode.Continuation, false, fragment)
  const batch = Buffer.concat(Array.from({ length: 1024 }, () => middle))
  for (let sent = 1; sent < count - 1; sent += 1024) decoder.push(sent + 1024 <= count - 1 ? batch : batch.subarray(0, (count - 1 - sent) * middle.length))
  decoder.push(frame(OpCode.Continuation, true, fragment))
  t.equal(events.length, 1)
  t.equal(events[0][2].length, 2 * 16 * 1024 * 1024)
})

t.test('protocol errors surface from checkHeader and close bodies, and the decoder stays failed', async (t) => {
  expectError(t, () => recorder().decoder.push(frame(OpCode.Text, true, 'x', 0)), ProtocolError, ErrorCode.UnmaskedFrame, 1002)
  expectError(t, () => recorder('client').decoder.push(frame(OpCode.Text, true, 'x')), ProtocolError, ErrorCode.MaskedFrame, 1002)
  expectError(t, () => recorder().decoder.push(Uint8Array.from([0x83, 0x80, 1, 2, 3, 4])), ProtocolError, ErrorCode.ReservedOpCode, 1002)
  expectError(t, () => recorder().decoder.push(frame(OpCode.Continuation, true, 'x')), ProtocolError, ErrorCode.UnexpectedContinuation, 1002)
  expectError(t, () => recorder().decoder.push(frame(OpCode.Text, true, 'x', 1, Rsv1)), ProtocolError, ErrorCode.ReservedBits, 1002)
  expectError(t, () => recorder().decoder.push(frame(OpCode.Close, true, [0x03])), ProtocolError, ErrorCode.CloseBodyTooShort, 1002)
  expectError(t, () => recorder().decoder.push(frame(OpCode.Close, true, [0x03, 0xed])), ProtocolError, ErrorCode.InvalidCloseCode, 1002)
  expectError(t, () => recorder().decoder.push(frame(OpCode.Close, true, [0x03, 0xe8, 0xff])), InvalidPayloadError, ErrorCode.InvalidCloseReason, 1007)
  expectError(t, () => recorder().decoder.push(Uint8Array.from([0x82, 0xfe, 0x00, 0x05, 1, 2, 3, 4])), ProtocolError, ErrorCode.LengthNotMinimal, 1002)
  const { decoder } = recorder()
  expectError(t, () => decoder.push(frame(OpCode.Text, false, 'x', 0)), ProtocolError, ErrorCode.UnmaskedFrame, 1002)
  expectError(t, () => decoder.push(frame(OpCode.Text, true, 'fine')), ProtocolError, ErrorCode.UnmaskedFrame, 1002)
  const inProgress = recorder()
  inProgress.decoder.push(frame(OpCode.Text, false, 'a'))
  t.ok(inProgress.decoder.fragmented)
  inProgress.decoder.push(frame(OpCode.Continuation, true, 'b'))
  t.notOk(inProgress.decoder.fragmented)
})
