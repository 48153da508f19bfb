// Section 6, UTF-8 (RFC 6455 §8.1, RFC 3629): text messages must be valid UTF-8, whole
// messages and across fragments; an endpoint fails the connection with 1007 as soon as it
// meets an invalid byte, not only at the end of the message. The sequences are Markus Kuhn's
// UTF-8 decoder stress test, as Autobahn|Testsuite uses them.
import { OpCode } from '@ws-toolkit/ws-core'
import { type Case, echoes, fails, mark, message, pong } from '../case.js'

const { Continuation, Text } = OpCode

const rfc = 'RFC 6455 §8.1, RFC 3629 §3-4'
const kosme = Buffer.from('κόσμε')
const hex = (text: string) => Buffer.from(text.replace(/ /g, ''), 'hex')

function valid(id: string, description: string, payload: Uint8Array): Case {
  return { id, description: `Send a text message: ${description}.`, expectation: 'The peer echoes the message.', rfc, run: (s) => s.send({ opCode: Text, payload }), ok: echoes(message(Text, payload)) }
}

function invalid(id: string, description: string, payload: Uint8Array): Case {
  return { id, description: `Send a text message: ${description}.`, expectation: 'The peer fails the connection with 1007.', rfc, run: (s) => s.send({ opCode: Text, payload }), ok: fails(1007) }
}

/** The stress test's groups: [description, is valid UTF-8, sequences as hex]. */
const groups: [string, boolean, string[]][] = [
  ['the first possible sequence of each length', true, ['00', 'c2 80', 'e0 a0 80', 'f0 90 80 80']],
  ['the first possible sequence past U+10FFFF, 5 and 6 bytes', false, ['f8 88 80 80 80', 'fc 84 80 80 80 80']],
  ['the last possible sequence of each length', true, ['7f', 'df bf', 'ef bf bf', 'f4 8f bf bf']],
  ['the last possible sequence of an obsolete length', false, ['f7 bf bf bf', 'fb bf bf bf bf', 'fd bf bf bf bf bf']],
  ['a code point at a boundary', true, ['ed 9f bf', 'ee 80 80', 'ef bf bd', 'f4 8f bf bf']],
  ['U+110000, beyond Unicode', false, ['f4 90 80 80']],
  ['unexpected continuation bytes', false, ['80', 'bf', '80 bf', '80 bf 80', '80 bf 80 bf', '80 bf 80 bf 80', '80 bf 80 bf 80 bf', Buffer.from(Array.from({ length: 64 }, (_, i) => 0x80 + i)).toString('hex')]],
  ['lonely start bytes, each followed by a space', false, [
    Buffer.from(Array.from({ length: 32 }, (_, i) => [0xc0 + i, 0x20]).flat()).toString('hex'),
    Buffer.from(Array.from({ length: 16 }, (_, i) => [0xe0 + i, 0x20]).flat()).toString('hex'),
    Buffer.from(Array.from({ length: 8 }, (_, i) => [0xf0 + i, 0x20]).flat()).toString('hex'),
    'f8 20 f9 20 fa 20 fb 20', 'fc 20 fd 20']],
  ['a sequence with its last byte missing', false, ['c0', 'e0 80', 'f0 80 80', 'f8 80 80 80', 'fc 80 80 80 80', 'df', 'ef bf', 'f7 bf bf', 'fb bf bf bf', 'fd bf bf bf bf']],
  ['incomplete sequences, concatenated', false, ['c0 e0 80 f0 80 80 f8 80 80 80 fc 80 80 80 80 df ef bf f7 bf bf fb bf bf bf fd bf bf bf bf']],
  ['bytes that never appear in UTF-8', false, ['fe', 'ff', 'fe fe ff ff']],
  ['an overlong "/"', false, ['c0 af', 'e0 80 af', 'f0 80 80 af', 'f8 80 80 80 af', 'fc 80 80 80 80 af']],
  ['the largest overlong sequence of each length', false, ['c1 bf', 'e0 9f bf', 'f0 8f bf bf', 'f8 87 bf bf bf', 'fc 83 bf bf bf bf']],
  ['an overlong NUL', false, ['c0 80', 'e0 80 80', 'f0 80 80 80', 'f8 80 80 80 80', 'fc 80 80 80 80 80']],
  ['a single UTF-16 surrogate', false, ['ed a0 80', 'ed ad bf', 'ed ae 80', 'ed af bf', 'ed b0 80', 'ed be 80', 'ed bf bf']],
  ['a pair of UTF-16 surrogates', false, ['ed a0 80 ed b0 80', 'ed a0 80 ed bf bf', 'ed ad bf ed b0 80', 'ed ad bf ed bf bf', 'ed ae 80 ed b0 80', 'ed ae 80 ed bf bf', 'ed af bf ed b0 80', 'ed af bf ed bf bf']],
  ['a noncharacter (valid UTF-8)', true, [
    'ef bf be', 'ef bf bf', ...Array.from({ length: 16 }, (_, plane) => {
      const c = (plane + 1) * 0x10000 + 0xfffe
      return [Buffer.from(String.fromCodePoint(c)).toString('hex'), Buffer.from(String.fromCodePoint(c + 1)).toString('hex')]
    }).flat(), 'ef b7 90', 'ef b7 af']],
]

const stressCases: Case[] = groups.flatMap(([description, isValid, sequences], g) =>
  sequences.map((sequence, i) => (isValid ? valid : invalid)(`6.${7 + g}.${i + 1}`, `${description} (${sequence.length > 40 ? `${sequence.slice(0, 40)}…` : sequence})`, hex(sequence))))

const validText = Buffer.from('Hello-µ@ßöäüàá-UTF-8!!')
const surrogate = hex('ed a0 80')
const badKosme = Buffer.concat([kosme, surrogate, Buffer.from('edited')])
const beyond = hex('f4 90 80 80')
/** Failing only after the ping barrier was answered, or (a peer that does not answer pings mid-message) after the rest was sent. */
const lateFailures = [...fails(1007, pong('sync-1'), mark('rest sent')), ...fails(1007, mark('rest sent'))]

export const utf8Cases: Case[] = [
  valid('6.1.1', 'empty, in one frame', new Uint8Array(0)),
  {
    id: '6.1.2', description: 'Send an empty text message in 3 empty fragments.', expectation: 'The peer echoes an empty text message.', rfc,
    run: (s) => s.send({ opCode: Text, fin: false }, { opCode: Continuation, fin: false }, { opCode: Continuation }), ok: echoes(message(Text, '')),
  },
  {
    id: '6.1.3', description: 'Send a text message in 3 fragments, the first and last empty.', expectation: 'The peer echoes the message.', rfc,
    run: (s) => s.send({ opCode: Text, fin: false }, { opCode: Continuation, fin: false, payload: 'middle frame payload' }, { opCode: Continuation }), ok: echoes(message(Text, 'middle frame payload')),
  },
  valid('6.2.1', `valid UTF-8 with 2-byte characters, in one frame (${validText})`, validText),
  {
    id: '6.2.2', description: 'Send the text of 6.2.1 in 2 fragments split between code points.', expectation: 'The peer echoes the message.', rfc,
    run: (s) => s.send({ opCode: Text, fin: false, payload: validText.subarray(0, 12) }, { opCode: Continuation, payload: validText.subarray(12) }), ok: echoes(message(Text, validText)),
  },
  {
    id: '6.2.3', description: 'Send the text of 6.2.1 in one frame, one byte per socket write.', expectation: 'The peer echoes the message.', rfc,
    run: (s) => s.sendChopped([{ opCode: Text, payload: validText }], 1), ok: echoes(message(Text, validText)),
  },
  {
    id: '6.2.4', description: 'Send "κόσμε" in 1-byte fragments, every code point split between frames.', expectation: 'The peer echoes the message.', rfc,
    run: (s) => s.send(...[...kosme].map((byte, i) => ({ opCode: i === 0 ? Text : Continuation, fin: i === kosme.length - 1, payload: new Uint8Array([byte]) }))),
    ok: echoes(message(Text, kosme)),
  },
  invalid('6.3.1', '"κόσμε", a lone surrogate (ed a0 80), "edited", in one frame', badKosme),
  { ...invalid('6.3.2', '', badKosme), description: 'Send the text of 6.3.1 one byte per socket write.', run: (s) => s.sendChopped([{ opCode: Text, payload: badKosme }], 1) },
  {
    id: '6.4.1',
    description: 'Send a text message in 3 fragments: "κόσμε", then f4 90 80 80 (U+110000), then a ping barrier, then "edited".',
    expectation: 'The peer fails the connection with 1007 on the second fragment, before reading the ping: fail fast.',
    rfc: 'RFC 6455 §8.1 ("MUST _Fail the WebSocket Connection_" when it meets invalid UTF-8)',
    async run(s) {
      await s.send({ opCode: Text, fin: false, payload: kosme }, { opCode: Continuation, fin: false, payload: beyond })
      await s.sync()
      s.mark('rest sent')
      await s.send({ opCode: Continuation, payload: 'edited' })
    },
    ok: fails(1007),
    nonStrict: lateFailures,
  },
  {
    id: '6.4.2',
    description: 'Send a text message in 3 fragments: "κόσμε" f4, then 90 (the invalid byte) 80 80, then a ping barrier, then "edited".',
    expectation: 'The peer fails the connection with 1007 on the second fragment, before reading the ping: fail fast, with the invalid sequence split between frames.',
    rfc: 'RFC 6455 §8.1',
    async run(s) {
      await s.send({ opCode: Text, fin: false, payload: Buffer.concat([kosme, beyond.subarray(0, 1)]) }, { opCode: Continuation, fin: false, payload: beyond.subarray(1) })
      await s.sync()
      s.mark('rest sent')
      await s.send({ opCode: Continuation, payload: 'edited' })
    },
    ok: fails(1007),
    nonStrict: lateFailures,
  },
  ...[false, true].map((byByte, i): Case => ({
    id: `6.4.${3 + i}`,
    description: `Send one text frame "κόσμε" f4 90 80 80 "edited" in 3 socket writes: up to ${byByte ? 'f4' : '"κόσμε"'}, then ${byByte ? '90 (the invalid byte) alone' : 'f4 90 80 80'}, then, 2 s later or as soon as the peer closes, the rest.`,
    expectation: 'The peer fails the connection with 1007 as the invalid byte arrives, in the middle of the frame, without waiting for the rest of it.',
    rfc: 'RFC 6455 §8.1',
    timeoutMs: 15_000,
    async run(s) {
      const frame = s.encode({ opCode: Text, payload: Buffer.concat([kosme, beyond, Buffer.from('edited')]) })
      const header = frame.length - (kosme.length + beyond.length + 6)
      const first = header + kosme.length + (byByte ? 1 : 0)
      const second = byByte ? first + 1 : first + beyond.length
      await s.sendPieces(frame.subarray(0, first), frame.length)
      await s.sendPieces(frame.subarray(first, second), frame.length)
      await s.waitForEnd(2000)
      s.mark('rest sent')
      await s.sendPieces(frame.subarray(second), frame.length)
    },
    ok: fails(1007),
    nonStrict: fails(1007, mark('rest sent')),
  })),
  ...[kosme, Buffer.from('Hello κόσμε')].map((text, i) => valid(`6.5.${i + 1}`, `valid UTF-8 (${text})`, text)),
  ...Array.from({ length: kosme.length }, (_, i) => {
    const prefix = kosme.subarray(0, i + 1)
    const complete = Buffer.from(prefix.toString()).equals(prefix) && !prefix.toString().includes('\ufffd')
    return (complete ? valid : invalid)(`6.6.${i + 1}`, `the first ${i + 1} bytes of "κόσμε"${complete ? '' : ', ending inside a code point'}`, prefix)
  }),
  ...stressCases,
]
