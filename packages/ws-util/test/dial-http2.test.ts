// WebSockets over HTTP/2 (RFC 8441), client side: connectHttp2, dialHttp2 and dial's http2
// option, against our own server (acceptHttp2Stream on node:http2, h2c and TLS with ALPN),
// servers that do not take WebSockets over HTTP/2 (no SETTINGS_ENABLE_CONNECT_PROTOCOL, no h2
// in ALPN, HTTP/1.1 only), and servers that refuse or never answer.
import { once } from 'node:events'
import { type ClientHttp2Stream, connect as connectSession, constants, createSecureServer, createServer as createH2cServer, type Http2SecureServer, type Http2Server, type IncomingHttpHeaders, type ServerHttp2Stream } from 'node:http2'
import { createServer as createHttpsServer } from 'node:https'
import { createServer as createTlsServer } from 'node:tls'
import type { Socket } from 'node:net'
import t, { type Test } from 'tap'
import { HandshakeError, HandshakeRejection, OpCode, Upgrader } from '@ws-toolkit/ws-core'
import {
  acceptHttp2Stream, acceptHttpUpgrade, acceptSocket, BatchWriter, CloseError, connectHttp2, dial, dialHttp2, ExtendedConnectError, HandshakeTimeoutError,
  readClientData, readServerData, SocketClosedError,
} from '../src/index.js'
import { certificate, listen } from './helpers.js'

const upgrader = new Upgrader({
  protocol: (name) => Buffer.from(name).toString() === 'chat',
  onRequest: (uri) => { if (Buffer.from(uri).toString() === '/forbidden') throw new HandshakeRejection(403, 'not here') },
})

/** echo serves an accepted connection: every message back, closes answered (readClientData, BatchWriter). */
function echo(socket: ServerHttp2Stream | Socket, head: Uint8Array): void {
  const writer = new BatchWriter(socket, { side: 'server' })
  readClientData(socket, head, { onMessage: (opCode, data) => writer.writeMessage(opCode, data) }, { writer })
}

/** onStream accepts each HTTP/2 stream with acceptHttp2Stream and echoes; refusals are answered by it. */
function onStream(stream: ServerHttp2Stream, _headers: IncomingHttpHeaders, _flags: number, rawHeaders: string[]): void {
  try {
    const accepted = acceptHttp2Stream(stream, rawHeaders, upgrader)
    echo(accepted.socket, accepted.head)
  } catch {
    // answered (a refusal) or reset
  }
}

async function listening<S extends Http2Server | Http2SecureServer | ReturnType<typeof createHttpsServer> | ReturnType<typeof createTlsServer>>(t: Test, server: S): Promise<number> {
  server.listen(0, '127.0.0.1')
  await once(server, 'listening')
  t.teardown(() => server.close())
  return (server.address() as { port: number }).port
}

/** h2c is a cleartext HTTP/2 server taking WebSockets (or not, with `enable` false). */
async function h2c(t: Test, enable = true): Promise<number> {
  const server = createH2cServer({ settings: { enableConnectProtocol: enable } })
  server.on('stream', onStream)
  return listening(t, server)
}

/** secure is an HTTP/2 server over TLS that also takes HTTP/1.1 upgrades (allowHTTP1), with or without extended CONNECT. */
async function secure(t: Test, pair: { cert: Buffer; key: Buffer }, enable: boolean) {
  const server = createSecureServer({ ...pair, allowHTTP1: true, settings: { enableConnectProtocol: enable } })
  const seen: string[] = []
  server.on('stream', (stream: ServerHttp2Stream, headers: IncomingHttpHeaders, flags: number, raw: string[]) => {
    seen.push('h2')
    onStream(stream, headers, flags, raw)
  })
  server.on('upgrade', (req, socket: Socket, head: Buffer) => {
    seen.push('http/1.1')
    const accepted = acceptHttpUpgrade(req, socket, head, upgrader)
    echo(accepted.socket, accepted.head)
  })
  return { port: await listening(t, server), seen }
}

/** roundTrip sends a text message on a client connection and resolves with the echo; then closes with 1000 and resolves the close. */
async function roundTrip(socket: ClientHttp2Stream | Socket, head: Uint8Array, text: string) {
  const writer = new BatchWriter(socket, { side: 'client' })
  let echoed: (value: string) => void
  const message = new Promise<string>((resolve) => (echoed = resolve))
  const closed = new Promise<Error>((resolve) => {
    const reader = readServerData(socket, head, {
      onMessage: (opCode, data) => {
        echoed(opCode === OpCode.Text ? Buffer.from(data).toString() : 'binary?')
        reader.close(1000, 'done')
      },
      onClose: resolve,
    }, { writer })
  })
  writer.writeMessage(OpCode.Text, Buffer.from(text))
  return { message: await message, closed: await closed }
}

t.test('connectHttp2 then dialHttp2: an echo and the close handshake over an h2c stream; the session goes on', async (t) => {
  const port = await h2c(t)
  const session = await connectHttp2(`ws://127.0.0.1:${port}`)
  t.teardown(() => session.close())
  const dialed = await dialHttp2(session, `ws://127.0.0.1:${port}/echo?x=1`, { protocols: ['other', 'chat'], headers: [['X-Trace', '1']] })
  t.equal(dialed.protocol, 'chat')
  t.same(dialed.head.length, 0)
  t.ok(dialed.headers.some(([name, value]) => name === 'sec-websocket-protocol' && value === 'chat'))
  const { message, closed } = await roundTrip(dialed.socket, dialed.head, 'over h2c')
  t.equal(message, 'over h2c')
  t.match(closed, { closeCode: 1000 }, 'the server answered our close')
  t.notOk(session.closed, 'the session is the caller\'s, still open')
})

t.test('our client and our server: 100 concurrent WebSockets on one session', async (t) => {
  const port = await h2c(t)
  const session = await connectHttp2(`ws://127.0.0.1:${port}`)
  t.teardown(() => session.close())
  const results = await Promise.all(Array.from({ length: 100 }, async (_, i) => {
    const dialed = await dialHttp2(session, `ws://127.0.0.1:${port}/ws/${i}`)
    const { message, closed } = await roundTrip(dialed.socket, dialed.head, `socket ${i}`)
    return message === `socket ${i}` && closed instanceof CloseError && closed.closeCode === 1000
  }))
  t.equal(results.filter(Boolean).length, 100)
})

t.test('a server without SETTINGS_ENABLE_CONNECT_PROTOCOL: dialHttp2 fails at once with ExtendedConnectError', async (t) => {
  const port = await h2c(t, false)
  const session = await connectHttp2(`ws://127.0.0.1:${port}`)
  t.teardown(() => session.close())
  const error = await dialHttp2(session, `ws://127.0.0.1:${port}/`, { timeoutMs: 0 }).catch((e: unknown) => e)
  t.type(error, ExtendedConnectError)
  t.equal((error as ExtendedConnectError).code, 'WS_HTTP2_NO_EXTENDED_CONNECT')
})

t.test('a session of node:http2\'s own, before its SETTINGS: dialHttp2 waits for them, then dials or fails', async (t) => {
  for (const enable of [true, false]) {
    const port = await h2c(t, enable)
    const session = connectSession(`http://127.0.0.1:${port}`)
    t.teardown(() => session.close())
    const outcome = await dialHttp2(session, `ws://127.0.0.1:${port}/`).catch((e: unknown) => e)
    if (enable) {
      t.equal((await roundTrip((outcome as { socket: ClientHttp2Stream }).socket, new Uint8Array(0), 'waited')).message, 'waited')
    } else {
      t.type(outcome, ExtendedConnectError)
    }
  }
})

t.test('refusals and silence: HandshakeError with the status and fields; HandshakeTimeoutError; the stream reset, the session open', async (t) => {
  const port = await h2c(t)
  const session = await connectHttp2(`ws://127.0.0.1:${port}`)
  t.teardown(() => session.close())
  const refused = await dialHttp2(session, `ws://127.0.0.1:${port}/forbidden`).catch((e: unknown) => e)
  t.type(refused, HandshakeError)
  t.equal((refused as HandshakeError).status, 403)
  t.ok((refused as HandshakeError).headers.some(([name]) => name === 'content-type'))
  const unchosen = await dialHttp2(session, `ws://127.0.0.1:${port}/`, { protocols: ['other'] })
  t.equal(unchosen.protocol, null, 'a server choosing none of our protocols is fine (none chosen)')
  unchosen.socket.destroy()

  const mute = createH2cServer({ settings: { enableConnectProtocol: true } })
  const streams: ServerHttp2Stream[] = []
  mute.on('stream', (stream: ServerHttp2Stream) => { streams.push(stream); stream.on('error', () => {}) })
  const mutePort = await listening(t, mute)
  const muteSession = await connectHttp2(`ws://127.0.0.1:${mutePort}`)
  t.teardown(() => muteSession.close())
  const timedOut = await dialHttp2(muteSession, `ws://127.0.0.1:${mutePort}/`, { timeoutMs: 200 }).catch((e: unknown) => e)
  t.type(timedOut, HandshakeTimeoutError)
  const controller = new AbortController()
  const aborted = dialHttp2(muteSession, `ws://127.0.0.1:${mutePort}/`, { signal: controller.signal, timeoutMs: 0 }).catch((e: unknown) => e)
  controller.abort(new Error('changed my mind'))
  t.match(await aborted, { message: 'changed my mind' })
  for (let i = 0; i < 100 && streams.some((stream) => !stream.closed); i++) await new Promise((resolve) => setTimeout(resolve, 20))
  t.ok(streams.length === 2 && streams.every((stream) => stream.closed), 'both streams were reset by the client')
  t.notOk(muteSession.closed, 'the session stays open')
})

t.test('dial(url, { http2 }) over TLS: h2 when the server takes it, the session closed with the WebSocket', async (t) => {
  const pair = certificate(t, 'IP:127.0.0.1')
  const { port, seen } = await secure(t, pair, true)
  const dialed = await dial(`wss://127.0.0.1:${port}/`, { http2: 'only', tls: { ca: pair.cert } })
  const stream = dialed.socket as ClientHttp2Stream
  t.ok(stream.session, 'a stream of an HTTP/2 session')
  const { message } = await roundTrip(stream, dialed.head, 'over h2 and TLS')
  t.equal(message, 'over h2 and TLS')
  const session = stream.session!
  if (!session.closed) await once(session, 'close')
  t.pass('the session closed after its only WebSocket')
  const preferred = await dial(`wss://127.0.0.1:${port}/`, { http2: 'prefer', tls: { ca: pair.cert } })
  t.ok((preferred.socket as ClientHttp2Stream).session, 'prefer takes h2 when offered')
  preferred.socket.destroy()
  const refused = await dial(`wss://127.0.0.1:${port}/forbidden`, { http2: 'only', tls: { ca: pair.cert } }).catch((e: unknown) => e)
  t.match(refused, { status: 403 }, 'a refusal over h2 is a HandshakeError (its session destroyed)')
  t.same(seen, ['h2', 'h2', 'h2'])
})

t.test('dial(url, { http2 }) to servers that do not take it: prefer falls back to HTTP/1.1, only fails clearly', async (t) => {
  const pair = certificate(t, 'IP:127.0.0.1')
  const ca = { ca: pair.cert }
  // h2 by ALPN, but no extended CONNECT; HTTP/1.1 upgrades on the same port.
  const noConnect = await secure(t, pair, false)
  let dialed = await dial(`wss://127.0.0.1:${noConnect.port}/`, { http2: 'prefer', tls: ca })
  t.equal((await roundTrip(dialed.socket, dialed.head, 'fell back')).message, 'fell back')
  t.same(noConnect.seen, ['http/1.1'], 'the WebSocket went over HTTP/1.1')
  t.match(await dial(`wss://127.0.0.1:${noConnect.port}/`, { http2: 'only', tls: ca }).catch((e: unknown) => e), { code: 'WS_HTTP2_NO_EXTENDED_CONNECT', message: /SETTINGS_ENABLE_CONNECT_PROTOCOL/ })

  // An HTTPS server that speaks HTTP/1.1 only: no h2 in ALPN.
  const https = createHttpsServer(pair)
  https.on('upgrade', (req, socket: Socket, head: Buffer) => {
    const accepted = acceptHttpUpgrade(req, socket, head, upgrader)
    echo(accepted.socket, accepted.head)
  })
  const httpsPort = await listening(t, https)
  dialed = await dial(`wss://127.0.0.1:${httpsPort}/`, { http2: 'prefer', tls: ca })
  t.equal((await roundTrip(dialed.socket, dialed.head, 'http/1.1 only')).message, 'http/1.1 only')
  t.match(await dial(`wss://127.0.0.1:${httpsPort}/`, { http2: 'only', tls: ca }).catch((e: unknown) => e), { code: 'WS_HTTP2_NO_EXTENDED_CONNECT', message: /ALPN/ })

  // A cleartext server that speaks HTTP/1.1 only: the h2c preface is refused.
  const { port: plainPort } = await listen(t, (socket) => {
    acceptSocket(socket, upgrader).then((accepted) => echo(accepted.socket, accepted.head), () => {})
  })
  dialed = await dial(`ws://127.0.0.1:${plainPort}/`, { http2: 'prefer' })
  t.equal((await roundTrip(dialed.socket, dialed.head, 'h2c refused')).message, 'h2c refused')
  t.match(await dial(`ws://127.0.0.1:${plainPort}/`, { http2: 'only' }).catch((e: unknown) => e), { code: 'WS_HTTP2_NO_EXTENDED_CONNECT', message: /h2c/ })
  await t.rejects(dial(`ws://127.0.0.1:${plainPort}/`, { http2: 'prefer', proxy: 'http://127.0.0.1:1' }), TypeError)
})

t.test('more ways to fail: no ALPN at all, h2 chosen but not spoken, a mute h2c peer, an aborted signal, a session torn down', async (t) => {
  const pair = certificate(t, 'IP:127.0.0.1')
  const ca = { ca: pair.cert }
  // A TLS server with no ALPN: the client's offer goes unanswered.
  const bare = createTlsServer(pair, (socket) => socket.end())
  const barePort = await listening(t, bare)
  t.match(await connectHttp2(`wss://127.0.0.1:${barePort}`, { tls: ca }).catch((e: unknown) => e), { code: 'WS_HTTP2_NO_EXTENDED_CONNECT', message: /ALPN: none/ })
  // h2 chosen by ALPN, then the connection closed without a SETTINGS: the error as it came.
  const liar = createTlsServer({ ...pair, ALPNProtocols: ['h2'] }, (socket) => socket.destroy())
  const liarPort = await listening(t, liar)
  t.type(await connectHttp2(`wss://127.0.0.1:${liarPort}`, { tls: ca }).catch((e: unknown) => e), SocketClosedError)
  // A TCP server that never answers: the deadline, not a fallback reason.
  const { port: mutePort } = await listen(t, () => {})
  t.type(await connectHttp2(`ws://127.0.0.1:${mutePort}`, { timeoutMs: 200 }).catch((e: unknown) => e), HandshakeTimeoutError)
  // An aborted signal: its reason, before anything is sent.
  const port = await h2c(t)
  t.match(await connectHttp2(`ws://127.0.0.1:${port}`, { signal: AbortSignal.abort(new Error('not now')) }).catch((e: unknown) => e), { message: 'not now' })

  // Repeated extra fields reach the server as one field of joined values.
  const keeping = createH2cServer({ settings: { enableConnectProtocol: true } })
  const kept: (string | undefined)[] = []
  keeping.on('stream', (stream: ServerHttp2Stream, _h: IncomingHttpHeaders, _f: number, raw: string[]) => {
    kept.push(acceptHttp2Stream(stream, raw, upgrader, { keepHeaders: ['x-a'] }).request!.headers['x-a'])
    stream.end()
  })
  const keepingPort = await listening(t, keeping)
  const session = await connectHttp2(`ws://127.0.0.1:${keepingPort}`)
  t.teardown(() => session.close())
  const dialed = await dialHttp2(session, `ws://127.0.0.1:${keepingPort}/`, { headers: [['X-A', '1'], ['X-A', '2']] })
  dialed.socket.resume()
  await once(dialed.socket, 'close')
  t.same(kept, ['1, 2'])

  // A server that tears its session down with an error: the dial fails, and the session's
  // error, with no listener of the caller's yet, does not crash the process.
  const tearing = createH2cServer({ settings: { enableConnectProtocol: true } })
  tearing.on('stream', (stream: ServerHttp2Stream) => {
    stream.session!.goaway(constants.NGHTTP2_INTERNAL_ERROR) // GOAWAY with an error code: the client's session fails
    stream.session!.destroy()
  })
  const tearingPort = await listening(t, tearing)
  const doomed = await connectHttp2(`ws://127.0.0.1:${tearingPort}`)
  t.ok(await dialHttp2(doomed, `ws://127.0.0.1:${tearingPort}/`).catch((e: unknown) => e) instanceof Error)
  if (!doomed.destroyed) await once(doomed, 'close')
  t.ok(doomed.destroyed, 'the session is gone, the process is not')
})
