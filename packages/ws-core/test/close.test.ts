import t from 'tap'
import { CloseCode, isApplicationCloseCode, isPrivateCloseCode, isProtocolCloseCode, isReservedCloseCode, isValidCloseCode } from '../src/close-code.js'
import { checkCloseBody, encodeCloseBody, MaxCloseReasonLength, parseCloseBody } from '../src/close-body.js'
import { ErrorCode, InvalidPayloadError, ProtocolError } from '../src/errors.js'
import { expectError } from './assert-error.js'

t.test('close code classes (RFC 6455 §7.4, IANA registry)', async (t) => {
  const valid = [1000, 1001, 1002, 1003, 1007, 1008, 1009, 1010, 1011, 1012, 1013, 1014, 3000, 3999, 4000, 4999]
  const invalid = [0, 1, 999, 1004, 1005, 1006, 1015, 1016, 1100, 2000, 2999, 5000, 65535]
  for (const code of valid) t.ok(isValidCloseCode(code), `${code} is valid`)
  for (const code of invalid) t.notOk(isValidCloseCode(code), `${code} is invalid`)
  for (const code of [1004, 1005, 1006, 1015, 1016, 2999]) t.ok(isReservedCloseCode(code), `${code} is reserved`)
  for (const code of [999, 1000, 1014, 3000]) t.notOk(isReservedCloseCode(code), `${code} is not reserved`)
  t.ok(isProtocolCloseCode(1000) && isProtocolCloseCode(2999) && !isProtocolCloseCode(999) && !isProtocolCloseCode(3000))
  t.ok(isApplicationCloseCode(3000) && isApplicationCloseCode(3999) && !isApplicationCloseCode(2999) && !isApplicationCloseCode(4000))
  t.ok(isPrivateCloseCode(4000) && isPrivateCloseCode(4999) && !isPrivateCloseCode(3999) && !isPrivateCloseCode(5000))
  t.equal(CloseCode.NormalClosure, 1000)
  t.equal(CloseCode.NoStatusReceived, 1005)
  t.equal(CloseCode.MessageTooBig, 1009)
})

t.test('encodeCloseBody writes code and reason (§5.5.1)', async (t) => {
  t.same([...encodeCloseBody()], [])
  t.same([...encodeCloseBody(1000)], [0x03, 0xe8])
  t.same([...encodeCloseBody(4999, 'bye')], [0x13, 0x87, 0x62, 0x79, 0x65])
  t.same([...encodeCloseBody(1001, Uint8Array.from([0xc3, 0xa9]))], [0x03, 0xe9, 0xc3, 0xa9])
  t.equal(encodeCloseBody(1000, 'x'.repeat(MaxCloseReasonLength)).length, 125)
  t.throws(() => encodeCloseBody(1000, 'x'.repeat(124)), RangeError, 'reason too long')
  t.throws(() => encodeCloseBody(1000, 'é'.repeat(62)), RangeError, 'reason too long in bytes')
  t.throws(() => encodeCloseBody(1005), RangeError, 'a code that may not be sent')
  t.throws(() => encodeCloseBody(undefined, 'why'), RangeError, 'a reason without a code')
  t.throws(() => encodeCloseBody(1000, Uint8Array.from([0xff])), RangeError, 'a byte reason that is not UTF-8')
  t.throws(() => encodeCloseBody(1000.5), RangeError, 'a fractional code')
})

t.test('parseCloseBody reads and validates (§5.5.1, §7.1.5)', async (t) => {
  const empty = parseCloseBody(new Uint8Array(0))
  t.equal(empty.code, 1005, 'no body means no status received')
  t.equal(empty.reason.length, 0)
  const payload = Uint8Array.from([0x03, 0xe8, 0x6f, 0x6b])
  const body = parseCloseBody(payload)
  t.equal(body.code, 1000)
  t.same([...body.reason], [0x6f, 0x6b])
  t.equal(body.reason.buffer, payload.buffer, 'reason is a view, not a copy')
  expectError(t, () => parseCloseBody(Uint8Array.from([0x03])), ProtocolError, ErrorCode.CloseBodyTooShort, 1002)
  for (const code of [0, 999, 1004, 1005, 1006, 1015, 1016, 2999, 5000, 65535]) {
    expectError(t, () => parseCloseBody(Uint8Array.from([code >> 8, code & 0xff])), ProtocolError, ErrorCode.InvalidCloseCode, 1002, `code ${code}`)
  }
  expectError(t, () => parseCloseBody(Uint8Array.from([0x03, 0xe8, 0xce, 0xba, 0xed, 0xa0, 0x80])), InvalidPayloadError, ErrorCode.InvalidCloseReason, 1007)
  expectError(t, () => parseCloseBody(Uint8Array.from([0x03, 0xe8, 0xce])), InvalidPayloadError, ErrorCode.InvalidCloseReason, 1007, 'truncated reason')
})

t.test('checkCloseBody on its own', async (t) => {
  t.doesNotThrow(() => checkCloseBody(3000, new TextEncoder().encode('κόσμε')))
  expectError(t, () => checkCloseBody(1006, new Uint8Array(0)), ProtocolError, ErrorCode.InvalidCloseCode, 1002)
  expectError(t, () => checkCloseBody(1000, Uint8Array.from([0xff])), InvalidPayloadError, ErrorCode.InvalidCloseReason, 1007)
})
