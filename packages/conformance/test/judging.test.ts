// The fuzzer's judging, against peers that misbehave in one way each: in-process servers that
// complete the opening handshake properly and then write exactly the bytes each test gives.
import { createServer, type Socket } from 'node:net'
import t, { type Test } from 'tap'
import { Upgrader } from '@ws-toolkit/ws-core'
import { acceptSocket } from '@ws-toolkit/ws-util'
import { type Case, echoes, fails } from '../src/case.js'
import { allCases, selectCases } from '../src/cases/index.js'
import { encodeFrame } from '../src/frame-codec.js'
import { runServerCase } from '../src/fuzzing-client.js'
import { FuzzingServer } from '../src/fuzzing-server.js'
import { startServer } from '../src/processes.js'
import { notOk, summary } from '../src/report.js'
import { testClient } from '../src/run.js'
import type { SessionTimeouts } from '../src/observation.js'

const timeouts: SessionTimeouts = { caseMs: 1000, closeMs: 300, lateMs: 100 }
const frame = (opCode: number, payload: Uint8Array | string = '', options: { fin?: boolean; rsv?: number; masked?: boolean } = {}) =>
  encodeFrame({ opCode, payload, fin: options.fin, rsv: options.rsv }, options.masked ?? false)
const close = (code: number) => frame(8, Buffer.from([code >> 8, code & 0xff]))

/** A server that answers the handshake, then calls `behave` with the socket and each chunk the fuzzer sends. */
async function misbehaving(t: Test, behave: (socket: Socket, chunk: Buffer) => void): Promise<string> {
  const server = createServer(async (raw) => {
    const { socket } = await acceptSocket(raw, new Upgrader())
    socket.on('error', () => {})
    socket.on('data', (chunk: Buffer) => behave(socket as Socket, chunk))
    socket.resume()
  })
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve))
  t.teardown(() => new Promise<void>((resolve) => server.close(() => resolve())))
  const address = server.address()
  return `ws://127.0.0.1:${typeof address === 'object' && address !== null ? address.port : 0}/`
}

const echoCase: Case = { id: '0.1', description: 'Send nothing.', expectation: 'Close normally.', rfc: 'RFC 6455 §5.5.1', run: async () => {}, ok: echoes() }
const failCase: Case = { id: '0.2', description: 'Send a bad frame.', expectation: 'Fail.', rfc: 'RFC 6455 §5.2', run: (s) => s.send({ opCode: 3 }), ok: fails(1002) }

const breaches: [string, (socket: Socket) => void, RegExp][] = [
  ['a masked frame', (s) => s.write(frame(1, 'hi', { masked: true })), /a masked frame from a server/],
  ['a reserved control opcode', (s) => s.write(frame(11)), /reserved control opcode 11/],
  ['a reserved data opcode', (s) => s.write(frame(3)), /reserved data opcode 3/],
  ['reserved bits', (s) => s.write(frame(1, 'hi', { rsv: 4 })), /reserved bits 100/],
  ['a continuation with nothing to continue', (s) => s.write(frame(0, 'hi')), /no message to continue/],
  ['a new message inside a fragmented one', (s) => s.write(Buffer.concat([frame(1, 'a', { fin: false }), frame(1, 'b')])), /new message inside/],
  ['a non-minimal length', (s) => s.write(Buffer.from([0x81, 126, 0, 1, 0x61])), /unreadable frame header/],
  ['a frame after its close', (s) => s.end(Buffer.concat([close(1000), frame(1, 'late')])), /after the close frame/],
]

for (const [name, breach, reason] of breaches) {
  t.test(`a server that sends ${name} fails`, async (t) => {
    const url = await misbehaving(t, (socket) => breach(socket))
    const result = await runServerCase(url, echoCase, timeouts)
    t.equal(result.verdict, 'FAILED')
    t.match(result.reason, reason)
  })
}

t.test('a server that floods the fuzzer with pongs fails, and the fuzzer keeps at most 10000 events', async (t) => {
  const url = await misbehaving(t, (socket) => socket.write(Buffer.concat(Array.from({ length: 10_001 }, () => frame(10, 'flood')))))
  const result = await runServerCase(url, echoCase, timeouts)
  t.equal(result.verdict, 'FAILED')
  t.match(result.reason, /more than 10000 messages and pongs/)
})

t.test('a server that never closes TCP after the closing handshake fails', async (t) => {
  const url = await misbehaving(t, (socket, chunk) => {
    if ((chunk[0] & 0x0f) === 8) socket.write(close(1000))
  })
  const result = await runServerCase(url, echoCase, timeouts)
  t.equal(result.verdict, 'FAILED')
  t.match(result.reason, /did not close the TCP connection/)
  t.equal(result.wire?.tcpClosedBy, 'timeout')
})

t.test('a server that never answers a close fails', async (t) => {
  const url = await misbehaving(t, () => {})
  const result = await runServerCase(url, echoCase, timeouts)
  t.equal(result.verdict, 'FAILED')
  t.match(result.reason, /no close frame/)
})

t.test('a server that drops the connection without a close frame is NON-STRICT where it should fail, FAILED elsewhere', async (t) => {
  const url = await misbehaving(t, (socket) => socket.destroy())
  const result = await runServerCase(url, failCase, timeouts)
  t.equal(result.verdict, 'NON-STRICT')
  t.match(result.reason, /without a close frame.*TCP closed by peer/)
  const echoed = await runServerCase(url, echoCase, timeouts)
  t.equal(echoed.verdict, 'FAILED')
  t.match(echoed.reason, /no close frame.*TCP closed by peer/)
})

t.test('a server that answers a close without a code, and pings after its close, is OK', async (t) => {
  const url = await misbehaving(t, (socket, chunk) => {
    if ((chunk[0] & 0x0f) === 8) socket.end(Buffer.concat([frame(8), frame(9, 'late ping')]))
  })
  const result = await runServerCase(url, echoCase, timeouts)
  t.equal(result.verdict, 'OK')
  t.equal(result.wire?.close?.code, 1005)
})

t.test('a ping from the peer while the fuzzer writes a frame in pieces is answered after the frame', async (t) => {
  let got = Buffer.alloc(0)
  const url = await misbehaving(t, (socket, chunk) => {
    if (got.length === 0) socket.write(frame(9, 'keepalive'))
    got = Buffer.concat([got, chunk])
  })
  const pieces: Case = { ...echoCase, run: (s) => s.sendChopped([{ opCode: 2, payload: new Uint8Array(64) }], 8) }
  await runServerCase(url, pieces, timeouts)
  // The binary frame's 6 + 64 bytes come first, whole; the pong follows.
  t.equal(got[0], 0x82)
  t.equal(got[70], 0x8a)
})

t.test('a server that fails only after answering later frames is NON-STRICT', async (t) => {
  let pongs = 0
  const url = await misbehaving(t, (socket, chunk) => {
    if (!chunk.includes(0x89)) return // the settling ping (it may share a chunk with the bad frame)
    socket.write(frame(10, 'settle'))
    if (++pongs === 1) setTimeout(() => socket.end(close(1002)), 20)
  })
  const result = await runServerCase(url, failCase, timeouts)
  t.equal(result.verdict, 'NON-STRICT')
  t.match(result.reason, /failed only after reading frames sent after the fault/)
})

t.test('the fuzzing server answers its HTTP endpoints', async (t) => {
  const cases = selectCases(allCases({ quick: true }), ['1.1'])
  const server = new FuzzingServer(cases, timeouts)
  const base = (await server.listen()).replace('ws:', 'http:')
  t.teardown(() => server.close())
  t.equal(await (await fetch(`${base}/getCaseCount`)).json(), 8)
  t.match(await (await fetch(`${base}/getCaseInfo?case=2`)).json(), { id: '1.1.2', rfc: /RFC 6455/ })
  t.equal((await fetch(`${base}/getCaseInfo?case=99`)).status, 404)
  t.equal((await fetch(`${base}/nowhere`)).status, 404)
  t.same(await (await fetch(`${base}/report?agent=nobody`)).json(), [])
  t.equal(await (await fetch(`${base}/updateReports?agent=nobody`)).json(), 0)
  const refused = await fetch(`${base}/runCase?case=99`, { headers: { connection: 'upgrade', upgrade: 'websocket', 'sec-websocket-version': '13', 'sec-websocket-key': 'dGhlIHNhbXBsZSBub25jZQ==' } }).catch((error: Error) => error)
  t.ok(refused instanceof Error || refused.status === 404)
})

t.test('a client that offers no compression fails the compression cases; one that never runs a case fails it', async (t) => {
  const cases = selectCases(allCases({ quick: true }), ['13.1.1', '13.1.2'])
  const run = await testClient({ peer: 'plain', program: ['node', '-e', `
    const [url, agent] = process.argv.slice(1)
    const ws = new (require('ws').WebSocket)(url + '/runCase?case=1&agent=' + agent, { perMessageDeflate: false })
    ws.on('close', () => process.exit(0))`, '--'] }, cases)
  t.match(notOk(run), [/13\.1\.1 INFORMATIONAL: the client made no permessage-deflate offer/, /13\.1\.2 FAILED: the client never ran this case/])
  t.match(summary([run]), /13 Compression: parameters \| 2 +\| 1 INFORMATIONAL, 1 FAILED/)
})

t.test('a server program that exits or stays silent is reported', async (t) => {
  await t.rejects(startServer(['node', '-e', 'process.exit(3)']), /exited with 3 before listening/)
  await t.rejects(startServer(['node', '-e', 'setTimeout(() => {}, 5000)'], 300), /no "listening on" line/)
})
