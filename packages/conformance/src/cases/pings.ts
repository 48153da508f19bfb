// Section 2, pings and pongs (RFC 6455 §5.5.2, §5.5.3): every ping is answered with a pong
// carrying its payload; control frames hold at most 125 bytes; unsolicited pongs are ignored.
import { OpCode } from '@ws-toolkit/ws-core'
import { type Case, echoes, fails, pong } from '../case.js'

const { Ping, Pong } = OpCode

const binary = new Uint8Array([0x00, 0xff, 0xfe, 0xfd, 0xfc, 0xfb, 0x00, 0xff])
const bytes125 = new Uint8Array(125).fill(0xfe)
const bytes126 = new Uint8Array(126).fill(0xfe)
const tenPayloads = Array.from({ length: 10 }, (_, i) => `payload-${i}`)

function pingCase(n: number, description: string, payload: Uint8Array | string, chop = 0): Case {
  return {
    id: `2.${n}`,
    description,
    expectation: 'The peer answers with a pong with the same payload.',
    rfc: 'RFC 6455 §5.5.2, §5.5.3',
    run: (s) => (chop > 0 ? s.sendChopped([{ opCode: Ping, payload }], chop) : s.send({ opCode: Ping, payload })),
    ok: echoes(pong(payload)),
  }
}

export const pingCases: Case[] = [
  pingCase(1, 'Send a ping without payload.', ''),
  pingCase(2, 'Send a ping with a small text payload.', 'Hello, world!'),
  pingCase(3, 'Send a ping with a small binary (non UTF-8) payload.', binary),
  pingCase(4, 'Send a ping with a binary payload of 125 bytes.', bytes125),
  {
    id: '2.5',
    description: 'Send a ping with a binary payload of 126 bytes.',
    expectation: 'The peer fails the connection with 1002: control frames carry at most 125 bytes.',
    rfc: 'RFC 6455 §5.5',
    run: (s) => s.send({ opCode: Ping, payload: bytes126 }),
    ok: fails(1002),
  },
  pingCase(6, 'Send a ping with a binary payload of 125 bytes, one byte per socket write.', bytes125, 1),
  {
    id: '2.7',
    description: 'Send an unsolicited pong without payload.',
    expectation: 'The peer ignores it.',
    rfc: 'RFC 6455 §5.5.3',
    run: (s) => s.send({ opCode: Pong }),
    ok: echoes(),
  },
  {
    id: '2.8',
    description: 'Send an unsolicited pong with a payload.',
    expectation: 'The peer ignores it.',
    rfc: 'RFC 6455 §5.5.3',
    run: (s) => s.send({ opCode: Pong, payload: 'unsolicited pong payload' }),
    ok: echoes(),
  },
  {
    id: '2.9',
    description: 'Send an unsolicited pong with a payload, then a ping with a payload.',
    expectation: 'The peer ignores the pong and answers the ping.',
    rfc: 'RFC 6455 §5.5.2, §5.5.3',
    run: (s) => s.send({ opCode: Pong, payload: 'unsolicited pong payload' }, { opCode: Ping, payload: 'ping payload' }),
    ok: echoes(pong('ping payload')),
  },
  ...[0, 1].map((chopped): Case => ({
    id: `2.${10 + chopped}`,
    description: `Send 10 pings with payloads in a row${chopped ? ', one byte per socket write' : ', in one socket write'}.`,
    expectation: 'The peer answers every ping, in order (or, as §5.5.3 allows, only the most recent one).',
    rfc: 'RFC 6455 §5.5.2, §5.5.3',
    run: (s) => {
      const specs = tenPayloads.map((payload) => ({ opCode: Ping, payload }))
      return chopped ? s.sendChopped(specs, 1) : s.send(...specs)
    },
    ok: [...echoes(...tenPayloads.map((payload) => pong(payload))), ...echoes(pong(tenPayloads[9]))],
  })),
]
