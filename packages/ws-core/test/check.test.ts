import t from 'tap'
import { advanceState, checkHeader, newProtocolState, type ProtocolState } from '../src/check.js'
import { ErrorCode, ProtocolError } from '../src/errors.js'
import { type Header, newHeader, readHeader, Rsv1, Rsv2, Rsv3 } from '../src/header.js'
import { expectError } from './assert-error.js'

/** Reads a header from bytes, as a receiver would. */
function header(bytes: number[]): Header {
  const out = newHeader()
  readHeader(Uint8Array.from(bytes), 0, out)
  return out
}

const server = (fragmented = false, allowedRsv = 0): ProtocolState => ({ ...newProtocolState('server', allowedRsv), fragmented })
const client = (fragmented = false): ProtocolState => ({ ...newProtocolState('client'), fragmented })
const m = [1, 2, 3, 4] // a masking key

t.test('frames a server must accept', async (t) => {
  const ok: [string, number[], ProtocolState][] = [
    ['masked text', [0x81, 0x80, ...m], server()],
    ['masked binary, not final', [0x02, 0x80, ...m], server()],
    ['continuation inside a message', [0x00, 0x80, ...m], server(true)],
    ['final continuation', [0x80, 0x80, ...m], server(true)],
    ['ping between fragments', [0x89, 0x80, ...m], server(true)],
    ['close of 125 bytes', [0x88, 0xfd, ...m], server()],
    ['pong', [0x8a, 0x80, ...m], server()],
    ['RSV1 on a text frame when deflate is on', [0xc1, 0x80, ...m], server(false, Rsv1)],
    ['RSV1 on a binary first fragment when deflate is on', [0x42, 0x80, ...m], server(false, Rsv1)],
  ]
  for (const [name, bytes, state] of ok) {
    t.doesNotThrow(() => checkHeader(header(bytes), state), name)
  }
  t.doesNotThrow(() => checkHeader(header([0x81, 0x00]), client()), 'unmasked text to a client')
})

t.test('each rule of RFC 6455 §5 that a header decides', async (t) => {
  const bad: [string, number[], ProtocolState, string][] = [
    ['§5.2 reserved data opcode 0x3', [0x83, 0x80, ...m], server(), ErrorCode.ReservedOpCode],
    ['§5.2 reserved data opcode 0x7', [0x87, 0x80, ...m], server(), ErrorCode.ReservedOpCode],
    ['§5.2 reserved control opcode 0xB', [0x8b, 0x80, ...m], server(), ErrorCode.ReservedOpCode],
    ['§5.2 reserved control opcode 0xF', [0x8f, 0x80, ...m], server(), ErrorCode.ReservedOpCode],
    ['§5.2 RSV1 with no extension', [0xc1, 0x80, ...m], server(), ErrorCode.ReservedBits],
    ['§5.2 RSV2 with no extension', [0xa1, 0x80, ...m], server(), ErrorCode.ReservedBits],
    ['§5.2 RSV3 with no extension', [0x91, 0x80, ...m], server(), ErrorCode.ReservedBits],
    ['§5.2 RSV2 when only RSV1 is allowed', [0xe1, 0x80, ...m], server(false, Rsv1), ErrorCode.ReservedBits],
    ['RFC 7692 §6.1 RSV1 on a continuation', [0xc0, 0x80, ...m], server(true, Rsv1), ErrorCode.ReservedBits],
    ['RFC 7692 §6.1 RSV1 on a ping', [0xc9, 0x80, ...m], server(false, Rsv1), ErrorCode.ReservedBits],
    ['§5.1 unmasked frame to a server', [0x81, 0x00], server(), ErrorCode.UnmaskedFrame],
    ['§5.1 masked frame to a client', [0x81, 0x80, ...m], client(), ErrorCode.MaskedFrame],
    ['§5.5 ping of 126 bytes', [0x89, 0xfe, 0x00, 0x7e, ...m], server(), ErrorCode.ControlTooLong],
    ['§5.5 close of 65536 bytes', [0x88, 0xff, 0, 0, 0, 0, 0, 1, 0, 0, ...m], server(), ErrorCode.ControlTooLong],
    ['§5.5 fragmented ping', [0x09, 0x80, ...m], server(), ErrorCode.ControlFragmented],
    ['§5.5 fragmented close', [0x08, 0x80, ...m], server(true), ErrorCode.ControlFragmented],
    ['§5.4 continuation with nothing to continue', [0x80, 0x80, ...m], server(), ErrorCode.UnexpectedContinuation],
    ['§5.4 text inside a fragmented message', [0x81, 0x80, ...m], server(true), ErrorCode.ExpectedContinuation],
    ['§5.4 binary start inside a fragmented message', [0x02, 0x80, ...m], server(true), ErrorCode.ExpectedContinuation],
  ]
  for (const [name, bytes, state, code] of bad) {
    expectError(t, () => checkHeader(header(bytes), state), ProtocolError, code, 1002, name)
  }
  t.equal(Rsv1 | Rsv2 | Rsv3, 0b111)
})

t.test('when a header breaks several rules, the first in the documented order is reported', async (t) => {
  const cases: [string, number[], ProtocolState, string][] = [
    ['reserved opcode, RSV1, unmasked', [0xc3, 0x00], server(), ErrorCode.ReservedOpCode],
    ['RSV2, unmasked, long ping', [0xa9, 0x7e, 0x00, 0x7e], server(), ErrorCode.ReservedBits],
    ['unmasked, long, fragmented ping', [0x09, 0x7e, 0x00, 0x7e], server(), ErrorCode.UnmaskedFrame],
    ['long and fragmented ping', [0x09, 0xfe, 0x00, 0x7e, ...m], server(), ErrorCode.ControlTooLong],
  ]
  for (const [name, bytes, state, code] of cases) {
    expectError(t, () => checkHeader(header(bytes), state), ProtocolError, code, 1002, name)
  }
})

t.test('checkHeader changes neither header nor state', async (t) => {
  const h = header([0x01, 0x80, ...m])
  const state = server()
  const before = JSON.stringify([h, state])
  checkHeader(h, state)
  t.equal(JSON.stringify([h, state]), before)
})

t.test('advanceState follows a fragmented message and ignores control frames', async (t) => {
  const state = newProtocolState('server')
  const sequence: [number[], boolean][] = [
    [[0x01, 0x80, ...m], true], // text, not final
    [[0x89, 0x80, ...m], true], // ping in between
    [[0x00, 0x80, ...m], true], // continuation
    [[0x80, 0x80, ...m], false], // final continuation
    [[0x82, 0x80, ...m], false], // a whole binary message
  ]
  for (const [bytes, fragmented] of sequence) {
    const h = header(bytes)
    checkHeader(h, state)
    advanceState(state, h)
    t.equal(state.fragmented, fragmented)
  }
})
