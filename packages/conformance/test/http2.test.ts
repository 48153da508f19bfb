// The suite over HTTP/2 (RFC 8441), both ways: our h2c server agent attacked by the fuzzing
// client, a stream a case on one session, and our h2 client agent against the h2c fuzzing
// server; every case OK but the declines RFC 7692 allows the fflate engine. Then how the
// fuzzer reads a stream's end where it reads TCP's (http2.ts): END_STREAM as FIN, RST_STREAM
// as a reset, against in-process h2c servers that each misbehave in one way.
import { once } from 'node:events'
import { connect, constants, createServer, type IncomingHttpHeaders, type ServerHttp2Stream } from 'node:http2'
import t, { type Test } from 'tap'
import { HandshakeError, Upgrader } from '@ws-toolkit/ws-core'
import { acceptHttp2Stream, BatchWriter, connectHttp2, dialHttp2, readServerData } from '@ws-toolkit/ws-util'
import { type Case, echoes, fails } from '../src/case.js'
import { allCases, sectionOf, selectCases } from '../src/cases/index.js'
import { allowedDeclines } from '../src/declines.js'
import { engineNamed } from '../src/engines.js'
import { encodeFrame } from '../src/frame-codec.js'
import { runServerCase, runServerCases } from '../src/fuzzing-client.js'
import { FuzzingServer } from '../src/fuzzing-server.js'
import { Http2Dialer } from '../src/http2.js'
import type { SessionTimeouts } from '../src/observation.js'
import { type Agent, toolkitH2Client, toolkitH2ClientOn, toolkitH2Server, toolkitH2ServerOn } from '../src/peers.js'
import { notOk, summary } from '../src/report.js'
import { testClient, testServer } from '../src/run.js'

const cases = allCases({ quick: true })
const run = (agent: Agent, mine: Case[]) => (agent.role === 'server' ? testServer(agent, mine) : testClient(agent, mine))

for (const agent of [toolkitH2Server, toolkitH2Client]) {
  t.test(`${agent.peer} ${agent.role}: every case without compression OK, one session for all`, async (t) => {
    const mine = cases.filter(agent.takes)
    t.same([...new Set(mine.map(sectionOf))], [1, 2, 3, 4, 5, 6, 7, 9, 10])
    const result = await run(agent, mine)
    t.equal(result.results.length, mine.length)
    t.same(notOk(result), [], summary([result]))
    t.equal(result.transport, 'http2')
    t.equal(result.sessions, 1, 'every case a stream of the one session')
  })
}

// Sections 12 and 13 whole on zlib (no case may be declined); on fflate the groups that show
// each side of its declines: defaults, no context takeover, the smallest windows either way.
const compression: [string, string[], Record<'server' | 'client', string[]>][] = [
  ['zlib', ['12', '13'], { server: [], client: [] }],
  ['fflate', ['12.1', '13.1', '13.2', '13.3', '13.4', '13.11', '13.17', '13.19'], { server: ['13.4', '13.19'], client: ['13.11', '13.19'] }],
]
for (const [name, sections, declined] of compression) {
  const engine = engineNamed(name)
  for (const agent of [toolkitH2ServerOn(engine), toolkitH2ClientOn(engine)]) {
    t.test(`${agent.peer} ${agent.role}: compression OK, but the declines RFC 7692 allows`, async (t) => {
      const mine = selectCases(cases, sections).filter(agent.takes)
      const result = await run(agent, mine)
      const expected = mine.filter((testCase) => declined[agent.role].some((group) => testCase.id.startsWith(`${group}.`))).map((testCase) => testCase.id)
      t.same(result.results.filter((r) => r.verdict !== 'OK').map((r) => r.id), expected, notOk(result).join('\n'))
      t.same(allowedDeclines(result, mine, engine).map((r) => r.id), expected)
      t.equal(result.sessions, 1)
    })
  }
}

// --- how a stream's end is read ---

const timeouts: SessionTimeouts = { caseMs: 1000, closeMs: 300, lateMs: 100 }
const frame = (opCode: number, payload: Uint8Array | string = '') => encodeFrame({ opCode, payload }, false)
const close = (code: number) => frame(8, Buffer.from([code >> 8, code & 0xff]))
const echoCase: Case = { id: '0.1', description: 'Send nothing.', expectation: 'Close normally.', rfc: 'RFC 6455 §5.5.1', run: async () => {}, ok: echoes() }
const failCase: Case = { id: '0.2', description: 'Send a bad frame.', expectation: 'Fail.', rfc: 'RFC 6455 §5.2', run: (s) => s.send({ opCode: 3 }), ok: fails(1002) }

/** An h2c server that accepts each WebSocket stream (acceptHttp2Stream), then calls `behave` with it and each chunk the fuzzer sends. */
async function misbehaving(t: Test, behave: (stream: ServerHttp2Stream, chunk: Buffer, n: number) => void): Promise<string> {
  const server = createServer({ settings: { enableConnectProtocol: true } })
  let streams = 0
  server.on('stream', (stream: ServerHttp2Stream, _headers: IncomingHttpHeaders, _flags: number, rawHeaders: string[]) => {
    const n = ++streams
    const { socket } = acceptHttp2Stream(stream, rawHeaders, new Upgrader())
    socket.on('error', () => {})
    socket.on('data', (chunk: Buffer) => behave(socket, chunk, n))
    socket.resume()
  })
  server.listen(0, '127.0.0.1')
  await once(server, 'listening')
  t.teardown(() => server.close())
  return `ws://127.0.0.1:${(server.address() as { port: number }).port}/`
}

/** runOverHttp2 plays one case on a stream of a session of its own. */
async function runOverHttp2(url: string, testCase: Case) {
  const dialer = new Http2Dialer()
  try {
    return await runServerCase(url, testCase, timeouts, dialer)
  } finally {
    dialer.close()
  }
}

const isClose = (chunk: Buffer) => (chunk[0] & 0x0f) === 8

t.test('a server that ends its stream (END_STREAM) after the closing handshake closed it, as with a FIN', async (t) => {
  const url = await misbehaving(t, (stream, chunk) => {
    if (isClose(chunk)) stream.end(close(1000))
  })
  const result = await runOverHttp2(url, echoCase)
  t.equal(result.verdict, 'OK', result.reason)
  t.equal(result.wire?.tcpClosedBy, 'peer')
})

t.test('a server that resets its stream (RST_STREAM) after its close frame closed it, as with a reset', async (t) => {
  const url = await misbehaving(t, (stream, chunk) => {
    if (isClose(chunk)) stream.write(close(1000), () => stream.close(constants.NGHTTP2_CANCEL))
  })
  const result = await runOverHttp2(url, echoCase)
  t.equal(result.verdict, 'OK', result.reason)
  t.equal(result.wire?.tcpClosedBy, 'peer')
})

t.test('a server that keeps its stream open after the closing handshake fails, as one that keeps TCP open', async (t) => {
  const url = await misbehaving(t, (stream, chunk) => {
    if (isClose(chunk)) stream.write(close(1000))
  })
  const result = await runOverHttp2(url, echoCase)
  t.equal(result.verdict, 'FAILED')
  t.match(result.reason, /did not close the TCP connection/)
  t.equal(result.wire?.tcpClosedBy, 'timeout')
})

t.test('a server that resets the stream instead of sending a close frame is NON-STRICT where it should fail, as a dropped connection', async (t) => {
  const url = await misbehaving(t, (stream) => stream.close(constants.NGHTTP2_PROTOCOL_ERROR))
  const result = await runOverHttp2(url, failCase)
  t.equal(result.verdict, 'NON-STRICT')
  t.match(result.reason, /without a close frame.*TCP closed by peer/)
  const echoed = await runOverHttp2(url, echoCase)
  t.equal(echoed.verdict, 'FAILED')
  t.match(echoed.reason, /no close frame/)
})

t.test('a server that tears its session down fails that case; the next case runs on a new session', async (t) => {
  const url = await misbehaving(t, (stream, chunk, n) => {
    if (n === 1) stream.session?.destroy()
    else if (isClose(chunk)) stream.end(close(1000))
  })
  const { results, sessions } = await runServerCases(url, [echoCase, { ...echoCase, id: '0.3' }], timeouts, undefined, 'http2')
  t.match(results.map((result) => result.verdict), ['FAILED', 'OK'])
  t.equal(sessions, 2)
})

t.test('the h2c fuzzing server answers plain requests as streams and refuses unknown WebSocket paths', async (t) => {
  const server = new FuzzingServer(selectCases(cases, ['1.1']), timeouts, undefined, 'http2')
  const base = await server.listen()
  t.teardown(() => server.close())
  const session = connect(base.replace('ws:', 'http:'))
  t.teardown(() => session.destroy())
  const get = async (path: string) => {
    const stream = session.request({ ':path': path })
    const [headers] = await once(stream, 'response')
    let body = ''
    for await (const chunk of stream) body += chunk
    return { status: headers[':status'], body: JSON.parse(body) }
  }
  t.same(await get('/getCaseCount'), { status: 200, body: 8 })
  t.match(await get('/getCaseInfo?case=2'), { status: 200, body: { id: '1.1.2' } })
  t.equal((await get('/nowhere')).status, 404)
  const h2 = await connectHttp2(base)
  t.teardown(() => h2.destroy())
  const refused = await dialHttp2(h2, `${base}/runCase?case=99`).catch((error: Error) => error)
  t.ok(refused instanceof HandshakeError && refused.status === 404, String(refused))
  // A WebSocket that sends nothing on /getCaseCount gets the count, then a close.
  const dialed = await dialHttp2(h2, `${base}/getCaseCount`)
  const messages: string[] = []
  const writer = new BatchWriter(dialed.socket, { side: 'client' })
  const ended = once(dialed.socket, 'close')
  readServerData(dialed.socket, dialed.head, { onMessage: (_opCode, data) => void messages.push(Buffer.from(data).toString()) }, { writer })
  await ended
  t.same(messages, ['8'])
})
