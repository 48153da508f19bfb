// Section 1, framing (RFC 6455 §5.2): text and binary messages of every length-encoding
// boundary, 7-bit (0-125), 16-bit (126-65535) and 64-bit (65536 and up), echoed whole.
import { type Case, echoes, message } from '../case.js'

const lengths = [0, 125, 126, 127, 128, 65535, 65536]

function framing(group: number, opCode: number, fill: number): Case[] {
  const kind = opCode === 1 ? 'text' : 'binary'
  const cases: Case[] = lengths.map((length, i) => {
    const payload = new Uint8Array(length).fill(fill)
    return {
      id: `1.${group}.${i + 1}`,
      description: `Send a ${kind} message with a payload of ${length} bytes.`,
      expectation: `The peer echoes the ${kind} message with the same payload.`,
      rfc: 'RFC 6455 §5.2, §5.6',
      run: (s) => s.send({ opCode, payload }),
      ok: echoes(message(opCode, payload)),
    }
  })
  const payload = new Uint8Array(65536).fill(fill)
  cases.push({
    id: `1.${group}.8`,
    description: `Send a ${kind} message with a payload of 65536 bytes, written to the socket in chops of 997 bytes.`,
    expectation: `The peer echoes the ${kind} message with the same payload.`,
    rfc: 'RFC 6455 §5.2, §5.6',
    run: (s) => s.sendChopped([{ opCode, payload }], 997),
    ok: echoes(message(opCode, payload)),
  })
  return cases
}

export const framingCases: Case[] = [...framing(1, 1, 0x2a), ...framing(2, 2, 0xfe)]
