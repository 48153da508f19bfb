// Section 5, fragmentation (RFC 6455 §5.4): control frames must not be fragmented; control
// frames may come between the fragments of a message; a continuation needs a message to
// continue, and a new message cannot start inside a fragmented one.
import { OpCode } from '@ws-toolkit/ws-core'
import { type Case, echoes, fails, message, pong } from '../case.js'
import type { FrameSpec } from '../frame-codec.js'
import { type Delivery, deliver, deliveryWords } from './delivery.js'

const { Continuation, Text, Ping, Pong } = OpCode

const rfc = 'RFC 6455 §5.4'
const deliveries: Delivery[] = ['whole', 'bytes', 'paused']
const fragment = (n: number, opCode: number = Continuation, fin = false): FrameSpec => ({ opCode, fin, payload: `fragment${n}` })

function scripted(first: number, description: string, expectation: string, specs: FrameSpec[], ok: Case['ok']): Case[] {
  return deliveries.map((delivery, i) => ({
    id: `5.${first + i}`,
    description: `${description}, ${deliveryWords[delivery]}.`,
    expectation,
    rfc,
    run: (s) => deliver(s, specs, delivery),
    ok,
  }))
}

const hello = { opCode: Text, payload: 'Hello, world!' }

export const fragmentationCases: Case[] = [
  {
    id: '5.1',
    description: 'Send a ping in 2 fragments.',
    expectation: 'The peer fails the connection with 1002: control frames must not be fragmented.',
    rfc: 'RFC 6455 §5.4, §5.5',
    run: (s) => s.send(fragment(1, Ping), fragment(2, Continuation, true)),
    ok: fails(1002),
  },
  {
    id: '5.2',
    description: 'Send a pong in 2 fragments.',
    expectation: 'The peer fails the connection with 1002: control frames must not be fragmented.',
    rfc: 'RFC 6455 §5.4, §5.5',
    run: (s) => s.send(fragment(1, Pong), fragment(2, Continuation, true)),
    ok: fails(1002),
  },
  ...scripted(3, 'Send a text message in 2 fragments', 'The peer echoes the whole message.', [fragment(1, Text), fragment(2, Continuation, true)], echoes(message(Text, 'fragment1fragment2'))),
  ...scripted(6, 'Send a text message in 2 fragments with a ping between them', 'The peer answers the ping at once and echoes the whole message.',
    [fragment(1, Text), { opCode: Ping, payload: 'ping payload' }, fragment(2, Continuation, true)], echoes(pong('ping payload'), message(Text, 'fragment1fragment2'))),
  ...scripted(9, 'Send a final continuation frame with no message to continue, then a text message', 'The peer fails the connection with 1002 and echoes nothing.',
    [fragment(9, Continuation, true), hello], fails(1002)),
  ...scripted(12, 'Send a non-final continuation frame with no message to continue, then a text message', 'The peer fails the connection with 1002 and echoes nothing.',
    [fragment(9, Continuation, false), hello], fails(1002)),
  {
    id: '5.15',
    description: 'Send a text message in 2 fragments, then a non-final continuation, then a text start: frames 3 and 4 belong to no message.',
    expectation: 'The peer echoes the first message, then fails the connection with 1002.',
    rfc,
    run: (s) => s.send(fragment(1, Text), fragment(2, Continuation, true), fragment(3), fragment(4, Text)),
    ok: fails(1002, message(Text, 'fragment1fragment2')),
  },
  ...[false, true].map((finalFirst, i): Case => ({
    id: `5.${16 + i}`,
    description: `Send, twice: a ${finalFirst ? 'final' : 'non-final'} continuation with no message to continue, a non-final text frame, a final continuation.`,
    expectation: 'The peer fails the connection with 1002 at the first frame and echoes nothing.',
    rfc,
    run: (s) => {
      const round = [fragment(1, Continuation, finalFirst), fragment(2, Text), fragment(3, Continuation, true)]
      return s.send(...round, ...round)
    },
    ok: fails(1002),
  })),
  {
    id: '5.18',
    description: 'Send a non-final text frame, then a final text frame: a new message inside a fragmented one.',
    expectation: 'The peer fails the connection with 1002 and echoes nothing.',
    rfc,
    run: (s) => s.send(fragment(1, Text), fragment(2, Text, true)),
    ok: fails(1002),
  },
  ...['whole', 'bytes'].map((delivery, i): Case => ({
    id: `5.${19 + i}`,
    description: `Send a text message in 5 fragments, with a ping after the 2nd and the 4th, 10 ms between frames, each frame ${delivery === 'whole' ? 'in one socket write' : 'one byte per socket write'}.`,
    expectation: 'The peer answers each ping as it arrives, in the middle of the message, and then echoes the whole message.',
    rfc: 'RFC 6455 §5.4, §5.5.2',
    async run(s) {
      const frames = [fragment(1, Text), fragment(2), { opCode: Ping, payload: 'pongme 1!' }, fragment(3), fragment(4), { opCode: Ping, payload: 'pongme 2!' }, fragment(5, Continuation, true)]
      for (const frame of frames) {
        await deliver(s, [frame], delivery as Delivery)
        await new Promise((resolve) => setTimeout(resolve, 10))
      }
    },
    ok: echoes(pong('pongme 1!'), pong('pongme 2!'), message(Text, 'fragment1fragment2fragment3fragment4fragment5')),
  })),
]
