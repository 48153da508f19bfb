// Section 7, the closing handshake (RFC 6455 §5.5.1, §7): a close is answered once, with a
// code; nothing the fuzzer sends after its close is answered; a close body holds no code or a
// code and a UTF-8 reason of at most 123 bytes; only codes an endpoint may send are accepted.
import { OpCode } from '@ws-toolkit/ws-core'
import { answersClose, type Case, echoes, message } from '../case.js'
import { closeBody, closeFrame } from '../frame-codec.js'

const { Continuation, Text, Close, Ping } = OpCode

function closeWith(id: string, description: string, payload: Uint8Array, codes: number[], expectation: string, rfc: string): Case {
  return { id, description: `Send a close frame with ${description}.`, expectation, rfc, run: (s) => s.send({ opCode: Close, payload }), ok: answersClose(codes) }
}

const validCodes = [1000, 1001, 1002, 1003, 1007, 1008, 1009, 1010, 1011, 3000, 3999, 4000, 4999, 1012, 1013, 1014]
const invalidCodes = [0, 999, 1004, 1005, 1006, 1015, 1016, 1100, 2000, 2999]
const big = new Uint8Array(256 * 1024).fill(0x2a)

export const closeCases: Case[] = [
  {
    id: '7.1.1', description: 'Send a text message, then close normally (1000).', expectation: 'The peer echoes the message and answers the close with 1000.',
    rfc: 'RFC 6455 §5.5.1', run: (s) => s.send({ opCode: Text, payload: 'Hello World!' }), ok: echoes(message(Text, 'Hello World!')),
  },
  {
    id: '7.1.2', description: 'Send two close frames (1000) in a row.', expectation: 'The peer answers the first with 1000 and ignores the second.',
    rfc: 'RFC 6455 §5.5.1', run: (s) => s.send(closeFrame(1000), closeFrame(1000)), ok: answersClose([1000]),
  },
  {
    id: '7.1.3', description: 'Send a close frame (1000), then a ping.', expectation: 'The peer answers the close with 1000 and does not answer the ping.',
    rfc: 'RFC 6455 §5.5.1 (no data after a close)', run: (s) => s.send(closeFrame(1000), { opCode: Ping, payload: 'Hello World!' }), ok: answersClose([1000]),
  },
  {
    id: '7.1.4', description: 'Send a close frame (1000), then a text message.', expectation: 'The peer answers the close with 1000 and does not echo the message.',
    rfc: 'RFC 6455 §5.5.1', run: (s) => s.send(closeFrame(1000), { opCode: Text, payload: 'Hello World!' }), ok: answersClose([1000]),
  },
  {
    id: '7.1.5', description: 'Send the first fragment of a text message, a close frame (1000), then the last fragment.',
    expectation: 'The peer answers the close with 1000 and echoes nothing: the message never completed before the close.',
    rfc: 'RFC 6455 §5.4, §5.5.1',
    run: (s) => s.send({ opCode: Text, fin: false, payload: 'fragment1' }, closeFrame(1000), { opCode: Continuation, payload: 'fragment2' }), ok: answersClose([1000]),
  },
  {
    id: '7.1.6', description: 'Send a 256 KiB text message, a close frame (1000) and a ping, in one socket write.',
    expectation: 'The peer echoes the message, answers the close with 1000 and does not answer the ping.',
    rfc: 'RFC 6455 §5.5.1',
    run: (s) => s.send({ opCode: Text, payload: big }, closeFrame(1000), { opCode: Ping, payload: 'Hello World!' }), ok: answersClose([1000], message(Text, big)),
  },
  closeWith('7.3.1', 'an empty body', new Uint8Array(0), [1005, 1000], 'The peer answers with a close frame with no code, or 1000.', 'RFC 6455 §5.5.1, §7.4.1 (1005 must not be sent)'),
  closeWith('7.3.2', 'a 1-byte body', new Uint8Array([0x03]), [1002], 'The peer answers with 1002: a body holds a 2-byte code or nothing.', 'RFC 6455 §5.5.1'),
  closeWith('7.3.3', 'code 1000 and no reason', closeBody(1000), [1000], 'The peer answers with 1000.', 'RFC 6455 §5.5.1'),
  closeWith('7.3.4', 'code 1000 and a short reason', closeBody(1000, 'Hello World!'), [1000], 'The peer answers with 1000.', 'RFC 6455 §5.5.1'),
  closeWith('7.3.5', 'code 1000 and a 123-byte reason', closeBody(1000, '*'.repeat(123)), [1000], 'The peer answers with 1000.', 'RFC 6455 §5.5, §5.5.1'),
  closeWith('7.3.6', 'code 1000 and a 124-byte reason (a 126-byte control frame)', closeBody(1000, '*'.repeat(124)), [1002], 'The peer answers with 1002: control frames carry at most 125 bytes.', 'RFC 6455 §5.5'),
  closeWith('7.5.1', 'code 1000 and a reason that is not valid UTF-8', closeBody(1000, Buffer.concat([Buffer.from('κόσμε'), Buffer.from([0xed, 0xa0, 0x80]), Buffer.from('edited')])), [1007],
    'The peer answers with 1007.', 'RFC 6455 §5.5.1 (the reason is UTF-8), §8.1'),
  ...validCodes.map((code, i) => closeWith(`7.7.${i + 1}`, `the valid code ${code}`, closeBody(code), [code, 1000, 1005], `The peer answers with ${code} (echoing it, as is usual), 1000, or no code.`, 'RFC 6455 §5.5.1, §7.4.1, §7.4.2 (1012-1014: the IANA registry)')),
  ...invalidCodes.map((code, i) => closeWith(`7.9.${i + 1}`, `the code ${code}, which must not be sent`, closeBody(code), [1002], 'The peer answers with 1002.', 'RFC 6455 §7.4.1, §7.4.2')),
  ...[5000, 65535].map((code, i) => closeWith(`7.13.${i + 1}`, `the code ${code}, past every range RFC 6455 defines`, closeBody(code), [1002], 'The peer answers with 1002.', 'RFC 6455 §7.4.2 (codes are defined up to 4999)')),
]
