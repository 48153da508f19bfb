import t from 'tap'
import { isControl, isData, isReserved, OpCode } from '../src/opcode.js'

t.test('opcode classes (RFC 6455 §5.2)', async (t) => {
  const control = [0x8, 0x9, 0xa, 0xb, 0xc, 0xd, 0xe, 0xf]
  for (let op = 0; op < 16; op++) {
    t.equal(isControl(op), control.includes(op), `isControl(${op})`)
    t.equal(isData(op), !control.includes(op), `isData(${op})`)
    t.equal(isReserved(op), ![0, 1, 2, 8, 9, 10].includes(op), `isReserved(${op})`)
  }
  t.same(OpCode, { Continuation: 0, Text: 1, Binary: 2, Close: 8, Ping: 9, Pong: 10 })
})
