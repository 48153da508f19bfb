// Sections 3 and 4: reserved bits and reserved opcodes (RFC 6455 §5.2). With no extension
// negotiated, a frame with RSV bits set or a reserved opcode fails the connection with 1002,
// and nothing the fuzzer sent after it (here a ping) may be answered.
import { OpCode } from '@ws-toolkit/ws-core'
import { answersClose, type Case, fails, message } from '../case.js'
import type { FrameSpec } from '../frame-codec.js'
import { type Delivery, deliver, deliveryWords } from './delivery.js'

const { Text, Binary, Close, Ping } = OpCode

const hello = 'Hello, world!'

/** A valid text message, the bad frame, then a ping: the text is echoed, the peer fails, the ping is not answered. */
function afterEcho(id: string, what: string, bad: FrameSpec, delivery: Delivery, rfc: string): Case {
  return {
    id,
    description: `Send a small text message, then ${what}, then a ping, ${deliveryWords[delivery]}.`,
    expectation: 'The peer echoes the text message, then fails the connection with 1002 and does not answer the ping.',
    rfc,
    run: (s) => deliver(s, [{ opCode: Text, payload: hello }, bad, { opCode: Ping, payload: hello }], delivery),
    ok: fails(1002, message(Text, hello)),
  }
}

export const reservedBitsCases: Case[] = [
  {
    id: '3.1',
    description: 'Send a small text message with RSV = 1 (RSV3 set).',
    expectation: 'The peer fails the connection with 1002: no extension gives that bit a meaning.',
    rfc: 'RFC 6455 §5.2',
    run: (s) => s.send({ opCode: Text, payload: hello, rsv: 1 }),
    ok: fails(1002),
  },
  afterEcho('3.2', 'a text message with RSV = 2', { opCode: Text, payload: hello, rsv: 2 }, 'whole', 'RFC 6455 §5.2'),
  afterEcho('3.3', 'a text message with RSV = 3', { opCode: Text, payload: hello, rsv: 3 }, 'bytes', 'RFC 6455 §5.2'),
  afterEcho('3.4', 'a text message with RSV = 4 (RSV1, permessage-deflate not negotiated)', { opCode: Text, payload: hello, rsv: 4 }, 'paused', 'RFC 6455 §5.2, RFC 7692 §6'),
  {
    id: '3.5',
    description: 'Send a small binary message with RSV = 5.',
    expectation: 'The peer fails the connection with 1002.',
    rfc: 'RFC 6455 §5.2',
    run: (s) => s.send({ opCode: Binary, payload: new Uint8Array([0, 0xff, 0xfe]), rsv: 5 }),
    ok: fails(1002),
  },
  {
    id: '3.6',
    description: 'Send a ping with a payload and RSV = 6.',
    expectation: 'The peer fails the connection with 1002 and does not answer the ping.',
    rfc: 'RFC 6455 §5.2',
    run: (s) => s.send({ opCode: Ping, payload: hello, rsv: 6 }),
    ok: fails(1002),
  },
  {
    id: '3.7',
    description: 'Send a close frame (1000) with RSV = 7.',
    expectation: 'The peer answers with a close frame of 1002, not 1000: the frame itself is invalid.',
    rfc: 'RFC 6455 §5.2',
    run: (s) => s.send({ opCode: Close, payload: new Uint8Array([0x03, 0xe8]), rsv: 7 }),
    ok: answersClose([1002]),
  },
]

function reservedOpcodes(group: number, opCodes: number[]): Case[] {
  const [first, second, third, fourth, fifth] = opCodes
  const kind = group === 1 ? 'non-control' : 'control'
  const rfc = 'RFC 6455 §5.2'
  return [
    {
      id: `4.${group}.1`,
      description: `Send a frame with the reserved ${kind} opcode ${first}.`,
      expectation: 'The peer fails the connection with 1002.',
      rfc,
      run: (s) => s.send({ opCode: first }),
      ok: fails(1002),
    },
    {
      id: `4.${group}.2`,
      description: `Send a frame with the reserved ${kind} opcode ${second} and a payload.`,
      expectation: 'The peer fails the connection with 1002.',
      rfc,
      run: (s) => s.send({ opCode: second, payload: 'reserved opcode payload' }),
      ok: fails(1002),
    },
    afterEcho(`4.${group}.3`, `a frame with the reserved ${kind} opcode ${third}`, { opCode: third }, 'whole', rfc),
    afterEcho(`4.${group}.4`, `a frame with the reserved ${kind} opcode ${fourth} and a payload`, { opCode: fourth, payload: 'reserved opcode payload' }, 'whole', rfc),
    afterEcho(`4.${group}.5`, `a frame with the reserved ${kind} opcode ${fifth} and a payload`, { opCode: fifth, payload: 'reserved opcode payload' }, 'bytes', rfc),
  ]
}

export const reservedOpcodeCases: Case[] = [...reservedOpcodes(1, [3, 4, 5, 6, 7]), ...reservedOpcodes(2, [11, 12, 13, 14, 15])]
