// WebSockets over HTTP/2 (RFC 8441), server side: acceptHttp2Stream on a node:http2 server
// (cleartext h2c here; TLS with ALPN in examples/test/http2.test.ts, with Chromium), and
// node:http2's client as the peer, sending the extended CONNECT and masked RFC 6455 frames on
// the stream. ws-util's readers and writers run on the stream unchanged.
import { once } from 'node:events'
import { type ClientHttp2Session, type ClientHttp2Stream, connect, constants, createServer, type Http2Server, type IncomingHttpHeaders, type ServerHttp2Stream } from 'node:http2'
import t, { type Test } from 'tap'
import {
  CloseCode, compileFrame, HandshakeRejection, maskFrameWith, newBinaryFrame, newCloseFrame, newHeader, newTextFrame, OpCode, parseCloseBody, readHeader, Upgrader,
} from '@ws-toolkit/ws-core'
import { acceptHttp2Stream, type Accepted, AbnormalClosureError, BatchWriter, CloseError, readClientData, type RequestOptions, SocketClosedError } from '../src/index.js'

/** What the server did with each stream: the accepted connection, or the error acceptHttp2Stream threw. */
type Outcome = { accepted: Accepted<ServerHttp2Stream>; closed: Promise<Error> } | { error: unknown }

/**
 * h2cServer is a cleartext node:http2 server that allows extended CONNECT and accepts each
 * stream with acceptHttp2Stream; accepted streams echo every message (readClientData,
 * BatchWriter). `outcomes` resolve in order.
 */
async function h2cServer(t: Test, upgrader: Upgrader, options: RequestOptions = {}) {
  const server: Http2Server = createServer({ settings: { enableConnectProtocol: true } })
  const outcomes: Outcome[] = []
  const waiting: ((outcome: Outcome) => void)[] = []
  const settle = (outcome: Outcome) => (waiting.length > 0 ? waiting.shift()!(outcome) : outcomes.push(outcome))
  server.on('stream', (stream: ServerHttp2Stream, _headers: IncomingHttpHeaders, _flags: number, rawHeaders: string[]) => {
    let accepted: Accepted<ServerHttp2Stream>
    try {
      accepted = acceptHttp2Stream(stream, rawHeaders, upgrader, options)
    } catch (error) {
      settle({ error })
      return
    }
    const writer = new BatchWriter(stream, { side: 'server' })
    const closed = new Promise<Error>((resolve) => {
      readClientData(stream, accepted.head, { onMessage: (opCode, data) => writer.writeMessage(opCode, data), onClose: resolve }, { writer })
    })
    settle({ accepted, closed })
  })
  server.listen(0, '127.0.0.1')
  await once(server, 'listening')
  t.teardown(() => server.close())
  const port = (server.address() as { port: number }).port
  return { port, next: () => (outcomes.length > 0 ? Promise.resolve(outcomes.shift()!) : new Promise<Outcome>((resolve) => waiting.push(resolve))) }
}

/** session opens an h2c session to `port` and waits for the server's SETTINGS. */
async function session(t: Test, port: number): Promise<ClientHttp2Session> {
  const client = connect(`http://127.0.0.1:${port}`)
  t.teardown(() => client.destroy())
  await once(client, 'remoteSettings')
  return client
}

/** The fields of an extended CONNECT for a WebSocket at `path` (RFC 8441 §4, §5). */
function connectHeaders(port: number, path: string, extra: Record<string, string> = {}) {
  return { ':method': 'CONNECT', ':protocol': 'websocket', ':scheme': 'http', ':path': path, ':authority': `127.0.0.1:${port}`, 'sec-websocket-version': '13', ...extra }
}

/** A client's side of a stream: the frames it has received, parsed, and a way to wait for more. */
class FramePeer {
  frames: { opCode: number; payload: Buffer }[] = []
  private pending = Buffer.alloc(0)
  private readonly header = newHeader()
  private readonly waiters: (() => void)[] = []

  constructor(readonly stream: ClientHttp2Stream) {
    stream.on('data', (chunk: Buffer) => {
      this.pending = Buffer.concat([this.pending, chunk])
      for (let size; (size = readHeader(this.pending, 0, this.header)) > 0 && this.pending.length >= size + this.header.length;) {
        this.frames.push({ opCode: this.header.opCode, payload: this.pending.subarray(size, size + this.header.length) })
        this.pending = this.pending.subarray(size + this.header.length)
      }
      for (const wake of this.waiters.splice(0)) wake()
    })
    stream.on('end', () => { for (const wake of this.waiters.splice(0)) wake() })
  }

  /** frame waits for the `n`th frame (0-based) received. */
  async frame(n: number) {
    while (this.frames.length <= n) {
      if (this.stream.readableEnded) throw new Error(`the stream ended after ${this.frames.length} frames`)
      await new Promise<void>((resolve) => this.waiters.push(resolve))
    }
    return this.frames[n]
  }

  send(frame: ReturnType<typeof newTextFrame>) {
    this.stream.write(compileFrame(maskFrameWith(frame, 0x1234abcd)))
  }
}

const upgrader = new Upgrader({ protocol: (name) => Buffer.from(name).toString() === 'chat' })

t.test('an extended CONNECT is answered 200 and the stream carries frames both ways; the close handshake ends it with END_STREAM', async (t) => {
  const { port, next } = await h2cServer(t, upgrader, { keepHeaders: ['x-trace'] })
  const client = await session(t, port)
  const stream = client.request(connectHeaders(port, '/chat?room=1', { 'sec-websocket-protocol': 'other, chat', 'x-trace': '42' }), { endStream: false })
  const [response] = (await once(stream, 'response')) as [IncomingHttpHeaders]
  t.equal(response[':status'], 200, 'any 2xx opens it; we send 200 (RFC 8441 §5)')
  t.equal(response['sec-websocket-protocol'], 'chat')
  t.notOk('sec-websocket-accept' in response, 'no key, no accept over HTTP/2 (RFC 8441 §5)')
  const outcome = await next()
  if (!('accepted' in outcome)) throw outcome.error
  t.equal(outcome.accepted.protocol, 'chat')
  t.same(outcome.accepted.request, { path: '/chat', query: 'room=1', remoteAddress: '127.0.0.1', remotePort: client.socket.localPort, headers: { 'x-trace': '42' } })
  t.equal(outcome.accepted.head.length, 0)

  const peer = new FramePeer(stream)
  peer.send(newTextFrame('over h2'))
  peer.send(newBinaryFrame(new Uint8Array([0, 1, 2, 255])))
  t.same(await peer.frame(0), { opCode: OpCode.Text, payload: Buffer.from('over h2') })
  t.same(await peer.frame(1), { opCode: OpCode.Binary, payload: Buffer.from([0, 1, 2, 255]) })
  peer.send(newCloseFrame(CloseCode.NormalClosure, 'bye'))
  const close = await peer.frame(2)
  t.equal(close.opCode, OpCode.Close)
  t.equal(parseCloseBody(close.payload).code, 1000, 'the server answers our 1000')
  await once(stream, 'end')
  t.pass('then ends its side: END_STREAM, the orderly close (RFC 8441 §5)')
  stream.end()
  await once(stream, 'close')
  t.equal(stream.rstCode, constants.NGHTTP2_NO_ERROR, 'no reset')
  t.match(await outcome.closed, new CloseError(1000, 'bye'))
})

t.test('100 WebSockets on one session, each echoing its own messages, 1 MiB among them', async (t) => {
  const { port, next } = await h2cServer(t, upgrader)
  const client = await session(t, port)
  const big = Buffer.alloc(1024 * 1024, 7)
  const results = await Promise.all(Array.from({ length: 100 }, async (_, i) => {
    const stream = client.request(connectHeaders(port, `/ws/${i}`), { endStream: false })
    await once(stream, 'response')
    const peer = new FramePeer(stream)
    peer.send(newTextFrame(`stream ${i}`))
    peer.send(newBinaryFrame(i === 50 ? big : Buffer.from([i])))
    const [text, binary] = [await peer.frame(0), await peer.frame(1)]
    stream.close()
    return text.payload.toString() === `stream ${i}` && binary.payload.equals(i === 50 ? big : Buffer.from([i]))
  }))
  t.equal(results.filter(Boolean).length, 100, 'every stream got its own echoes, none another\'s')
  for (let i = 0; i < 100; i++) await next()
})

t.test('a 16 MiB message through HTTP/2 flow control, both ways', async (t) => {
  const { port, next } = await h2cServer(t, upgrader)
  const client = await session(t, port)
  const stream = client.request(connectHeaders(port, '/'), { endStream: false })
  await once(stream, 'response')
  await next()
  const big = Buffer.alloc(16 * 1024 * 1024)
  for (let i = 0; i < big.length; i += 4096) big[i] = i / 4096
  const peer = new FramePeer(stream)
  peer.send(newBinaryFrame(big))
  const echo = await peer.frame(0)
  t.equal(echo.payload.length, big.length)
  t.ok(echo.payload.equals(big), 'byte for byte')
  stream.close()
})

t.test('refusals: the status, fields and message as an HTTP/2 response, then the stream is closed', async (t) => {
  const strict = new Upgrader({
    checkOrigin: (origin) => origin === null,
    onRequest: (uri) => {
      if (Buffer.from(uri).toString() === '/quiet') throw new HandshakeRejection(400, '')
      if (Buffer.from(uri).toString() === '/private') throw new HandshakeRejection(401, 'who are you', [['WWW-Authenticate', 'Bearer'], ['WWW-Authenticate', 'Basic'], ['WWW-Authenticate', 'Digest']])
    },
  })
  const { port, next } = await h2cServer(t, strict)
  const client = await session(t, port)
  const cases: [Record<string, string>, number, string, Record<string, string>][] = [
    [connectHeaders(port, '/', { origin: 'https://evil.example' }), 403, 'origin not allowed', {}],
    [connectHeaders(port, '/private'), 401, 'who are you', { 'www-authenticate': 'Bearer, Basic, Digest' }], // a field repeated: each sent
    [connectHeaders(port, '/', { 'sec-websocket-version': '8' }), 426, 'unsupported WebSocket version', { 'sec-websocket-version': '13' }],
    [{ ':method': 'GET', ':path': '/', ':scheme': 'http', ':authority': `127.0.0.1:${port}` }, 405, 'a WebSocket over HTTP/2 is an extended CONNECT request (RFC 8441 §4)', { allow: 'CONNECT' }],
  ]
  cases.push([connectHeaders(port, '/quiet'), 400, '', {}]) // an empty body: the response still goes out before any reset
  for (const [i, [headers, status, message, fields]] of cases.entries()) {
    const stream = client.request(headers, { endStream: headers[':method'] === 'GET' })
    const [response] = (await once(stream, 'response')) as [IncomingHttpHeaders]
    let body = ''
    stream.setEncoding('utf8').on('data', (chunk: string) => (body += chunk))
    // The first peer keeps its side open: the server resets the stream (NO_ERROR) after its
    // linger; the others close their side, as a client does with a refusal.
    if (i > 0 && headers[':method'] !== 'GET') stream.end()
    await once(stream, 'close')
    if (i === 0) t.equal(stream.rstCode, constants.NGHTTP2_NO_ERROR, 'a peer that stays is reset with NO_ERROR after the linger')
    t.same({ status: response[':status'], type: response['content-type'], body, ...Object.fromEntries(Object.keys(fields).map((name) => [name, response[name]])) },
      { status, type: 'text/plain; charset=utf-8', body: message, ...fields }, `${status} ${message}`)
    const outcome = await next()
    t.ok('error' in outcome && outcome.error instanceof HandshakeRejection && outcome.error.status === status, 'acceptHttp2Stream threw the rejection')
  }
})

t.test('a callback bug resets the stream (INTERNAL_ERROR) and reaches the caller; the session goes on', async (t) => {
  let fail = true
  const buggy = new Upgrader({ onHost: () => { if (fail) throw new RangeError('bug') } })
  const { port, next } = await h2cServer(t, buggy)
  const client = await session(t, port)
  const stream = client.request(connectHeaders(port, '/'), { endStream: false })
  stream.on('error', () => {}) // the reset, as an error
  await new Promise((resolve) => stream.on('close', resolve))
  t.equal(stream.rstCode, constants.NGHTTP2_INTERNAL_ERROR)
  const outcome = await next()
  t.ok('error' in outcome && outcome.error instanceof RangeError)
  fail = false
  const again = client.request(connectHeaders(port, '/'), { endStream: false })
  t.equal(((await once(again, 'response')) as [IncomingHttpHeaders])[0][':status'], 200, 'the same session carries the next WebSocket')
  again.close()
  await next()
})

t.test('a peer that resets its stream: an abnormal closure for that WebSocket only, no crash', async (t) => {
  const { port, next } = await h2cServer(t, upgrader)
  const client = await session(t, port)
  const [a, b] = [client.request(connectHeaders(port, '/a'), { endStream: false }), client.request(connectHeaders(port, '/b'), { endStream: false })]
  await Promise.all([once(a, 'response'), once(b, 'response')])
  const [first, second] = [await next(), await next()]
  if (!('accepted' in first) || !('accepted' in second)) throw new Error('refused')
  a.close(constants.NGHTTP2_CANCEL) // RST_STREAM CANCEL: a WebSocket's abnormal end (RFC 8441 §5)
  t.type(await first.closed, AbnormalClosureError, 'the reader ends with 1006')
  const peer = new FramePeer(b)
  peer.send(newTextFrame('still here'))
  t.equal((await peer.frame(0)).payload.toString(), 'still here', 'the other WebSocket on the session goes on')
  client.destroy() // the whole session goes away: the other WebSocket ends abnormally too
  t.type(await second.closed, AbnormalClosureError)
})

t.test('a stream already closed is a SocketClosedError, nothing answered; a bad keepHeaders name throws first', async (t) => {
  const server = createServer({ settings: { enableConnectProtocol: true } })
  const errors: unknown[] = []
  server.on('stream', (stream: ServerHttp2Stream, _h: IncomingHttpHeaders, _f: number, rawHeaders: string[]) => {
    try {
      acceptHttp2Stream(stream, rawHeaders, upgrader, { keepHeaders: ['bad name'] })
    } catch (error) {
      errors.push(error)
    }
    stream.close(constants.NGHTTP2_CANCEL)
    try {
      acceptHttp2Stream(stream, rawHeaders, upgrader)
    } catch (error) {
      errors.push(error)
    }
  })
  server.listen(0, '127.0.0.1')
  await once(server, 'listening')
  t.teardown(() => server.close())
  const port = (server.address() as { port: number }).port
  const client = await session(t, port)
  const stream = client.request(connectHeaders(port, '/'), { endStream: false })
  let response = false
  stream.on('response', () => (response = true))
  stream.on('error', () => {}) // the reset, as an error
  await new Promise((resolve) => stream.on('close', resolve))
  t.equal(stream.rstCode, constants.NGHTTP2_CANCEL, 'only our reset')
  t.notOk(response, 'no response')
  t.type(errors[0], TypeError)
  t.type(errors[1], SocketClosedError)
})

t.test('a client that sends 64 MiB and reads nothing: the server stops reading once its echoes back up, and holds little; then everything arrives', async (t) => {
  // The server's echo honours backpressure (a full writer pauses the stream), so HTTP/2 flow
  // control stops the client: the server's stream window is not given back while it is paused.
  const server = createServer({ settings: { enableConnectProtocol: true } })
  let serverStream: ServerHttp2Stream | null = null
  let receivedBytes = 0
  server.on('stream', (stream: ServerHttp2Stream, _headers: IncomingHttpHeaders, _flags: number, rawHeaders: string[]) => {
    const accepted = acceptHttp2Stream(stream, rawHeaders, upgrader)
    serverStream = stream
    stream.on('data', (chunk: Buffer) => (receivedBytes += chunk.length))
    const writer = new BatchWriter(stream, { side: 'server' })
    readClientData(stream, accepted.head, {
      onMessage: (opCode, data) => {
        if (!writer.writeMessage(opCode, data) && !stream.isPaused()) {
          stream.pause()
          stream.once('drain', () => stream.resume())
        }
      },
    }, { writer })
  })
  server.listen(0, '127.0.0.1')
  await once(server, 'listening')
  t.teardown(() => server.close())
  const port = (server.address() as { port: number }).port
  const client = await session(t, port)
  const stream = client.request(connectHeaders(port, '/'), { endStream: false })
  await once(stream, 'response')
  stream.pause() // the client reads nothing, for now
  const message = Buffer.alloc(64 * 1024, 0x5a)
  const frame = compileFrame(maskFrameWith(newBinaryFrame(message), 0x01020304))
  for (let i = 0; i < 1024; i++) stream.write(frame) // 64 MiB, queued on the client's side
  // Wait until the server has stopped taking bytes (ten checks in a row with no progress), bounded.
  let last = -1
  for (let still = 0, i = 0; still < 10 && i < 1000; i++) {
    await new Promise((resolve) => setTimeout(resolve, 20))
    still = receivedBytes === last ? still + 1 : 0
    last = receivedBytes
  }
  const held = serverStream!.writableLength + serverStream!.readableLength
  t.ok(receivedBytes < 8 * 1024 * 1024, `the server took ${receivedBytes} bytes of 64 MiB before flow control stopped the client`)
  t.ok(held < 4 * 1024 * 1024, `the server holds ${held} bytes for the stream (its write queue and read buffer)`)
  t.ok(serverStream!.isPaused(), 'the server stopped reading')
  // Now the client reads: every echo arrives, intact, and nothing was lost on the way.
  const peer = new FramePeer(stream)
  stream.resume()
  const last1023 = await peer.frame(1023)
  t.equal(peer.frames.length, 1024, 'all 1,024 echoes')
  t.ok(peer.frames.every((f) => f.payload.length === message.length) && last1023.payload.equals(message))
  stream.close()
})
