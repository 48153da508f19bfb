// WebSockets over HTTP/2 (RFC 8441) and over HTTP/1.1 on one TLS port, with one application
// behind both: a small page at /, an echo at /echo and a broadcast chat at /chat, each with
// permessage-deflate when the client offers it. node:http2's secure server, created with
// SETTINGS_ENABLE_CONNECT_PROTOCOL (`settings: { enableConnectProtocol: true }`, RFC 8441 §3),
// lets a browser that loaded the page over h2 open its WebSockets as extended CONNECT streams
// of that same connection: `'stream'` hands each one over and ws-util's acceptHttp2Stream
// answers it (200) and returns the stream as the connection. `allowHTTP1` serves clients that
// do not speak h2 (ALPN http/1.1, or none: the `ws` client, curl --http1.1): their upgrade
// requests arrive on `'upgrade'` for acceptHttpUpgrade. Both paths judge the request with the
// same Upgrader (its path, Origin, the deflate offer) and hand the connection to the same
// route, so an h2 user and an HTTP/1.1 user chat in the same room. Each connection prints a
// line saying which way it came (`#3 /echo over h2 (session 1), permessage-deflate`) and one
// when it ends.
//
// Chat frames are compiled once and the same bytes written to every member (frame once, as
// chat.ts does); they go uncompressed, which RFC 7692 §6 allows beside compressed messages,
// as one compressed frame cannot suit every member's compression context. The echo
// compresses its answers. Every connection is pinged (--ping-interval, --ping-timeout;
// lib/heartbeat.ts), and SIGINT or SIGTERM sends 1001 to every connection, h2 and HTTP/1.1
// alike (with a GOAWAY to each h2 session), then exits 0.
//
// Browsers speak h2 over TLS only. Without --cert and --key a self-signed certificate for
// 127.0.0.1 and localhost is made at start with openssl (lib/self-signed.ts), removed at exit,
// and the SPKI hash that makes Chromium trust it is printed.
//
//   pnpm exec tsx examples/http2.ts --port 8443 [--cert cert.pem --key key.pem] [--ping-interval MS] [--ping-timeout MS]
//   then: chromium --ignore-certificate-errors-spki-list=HASH https://127.0.0.1:8443/
import type { IncomingMessage, ServerResponse } from 'node:http'
import { createSecureServer, type IncomingHttpHeaders, type ServerHttp2Session, type ServerHttp2Stream } from 'node:http2'
import type { Duplex } from 'node:stream'
import { compileFrame, HandshakeRejection, newTextFrame, OpCode, requestPath, sameOrigin, Upgrader } from '@ws-toolkit/ws-core'
import { agreementOf, defaultEngine, deflateNegotiator, PerMessageDeflate } from '@ws-toolkit/ws-flate'
import {
  type Accepted, acceptHttp2Stream, acceptHttpUpgrade, BatchWriter, broadcast, closeGracefully, type Closable, ConnectionSet, DataReader, readClientData,
  SocketClosedError,
} from '@ws-toolkit/ws-util'
import { parseCommand, portFlag, usageError } from './lib/args.ts'
import { echoMessages } from './lib/echo.ts'
import { heartbeatFlags, heartbeatSettings, keepAlive, pongReceived } from './lib/heartbeat.ts'
import { keyPairFlags, readKeyPair } from './lib/key-pair.ts'
import { makeSelfSigned, spkiHash } from './lib/self-signed.ts'
import { listen } from './lib/server.ts'
import { stopOnSignals } from './lib/shutdown.ts'

const { values } = parseCommand({
  summary: 'WebSockets over HTTP/2 (RFC 8441) and HTTP/1.1 on one TLS port: a page at /, echo at /echo, chat at /chat, permessage-deflate',
  flags: { port: portFlag(8443), ...keyPairFlags, ...heartbeatFlags },
  notes: [
    'Without --cert and --key, a self-signed certificate for 127.0.0.1 and localhost is made at start',
    'with /usr/bin/openssl (removed at exit), and how to make Chromium trust it is printed.',
  ],
})

/** The certificate: the one given, or one made for this run; and what to tell a person about trusting it. */
function certificate(): { cert: Buffer; key: Buffer; about: string } {
  if (values.cert !== undefined || values.key !== undefined) {
    if (values.cert === undefined || values.key === undefined) usageError('--cert FILE and --key FILE go together: give both, or neither for a certificate made at start')
    const { cert, key } = readKeyPair(values.cert, values.key)
    return { cert, key, about: `certificate: ${values.cert}; Chromium trusts its key with --ignore-certificate-errors-spki-list=${spkiHash(cert)}` }
  }
  let made
  try {
    made = makeSelfSigned()
  } catch (error) {
    console.error(`cannot make a certificate with /usr/bin/openssl (${(error as Error).message.split('\n')[0]}): give --cert FILE --key FILE`)
    process.exit(1)
  }
  return {
    cert: made.cert,
    key: made.key,
    about: `certificate: self-signed for 127.0.0.1 and localhost, made for this run (${made.certPath}, removed at exit); ` +
      `Chromium trusts it with --ignore-certificate-errors-spki-list=${made.spki}`,
  }
}
const { cert, key, about } = certificate()
const heartbeat = heartbeatSettings(values)
const engine = defaultEngine()
const connections = new ConnectionSet()

/**
 * A route serves one path's connections, h2 or HTTP/1.1 alike: it starts reading `socket`
 * (a ServerHttp2Stream or a TLSSocket), compressing with `deflate` when agreed, calls `ended`
 * once when the connection is over, and returns the connection, kept for the 1001 at shutdown.
 */
type Route = (socket: Duplex, head: Uint8Array, deflate: PerMessageDeflate | null, ended: (reason: Error) => void) => Closable

/** The echo: every message back, compressed when agreed (lib/echo.ts). */
const echo: Route = (socket, head, deflate, ended) =>
  echoMessages(socket, head, { compressor: deflate?.deflater, decompressor: deflate?.inflater, heartbeat, onClose: ended })

/** Who is in the chat room: each member's writer, with its reader and name. */
const members = new Map<BatchWriter, { reader: DataReader; name: string }>()
const decoder = new TextDecoder()
const noPayload = new Uint8Array(0)
let users = 0

/** announce sends `text` to every member, framed once; a member 1 MiB behind is dropped (1008). */
function announce(text: string): void {
  const dropped: string[] = []
  broadcast(members.keys(), compileFrame(newTextFrame(text)), {
    onSkip: (writer) => {
      const { reader, name } = members.get(writer)!
      members.delete(writer)
      dropped.push(name)
      void closeGracefully(reader, 1008, 'too slow', 1000)
    },
  })
  for (const name of dropped) announce(`${name} left (too slow)`)
}

/** The chat: each text message goes to every member as "user N: text" (chat.ts's room). */
const chat: Route = (socket, head, deflate, ended) => {
  const name = `user ${++users}`
  const writer = new BatchWriter(socket, { side: 'server', compressor: deflate?.deflater })
  const reader = readClientData(socket, head, {
    onMessage(opCode, data) {
      if (opCode === OpCode.Text) announce(`${name}: ${decoder.decode(data)}`)
    },
    onControl(reader, opCode, payload) {
      if (opCode === OpCode.Pong) pongReceived(reader)
      DataReader.defaultControl(reader, opCode, payload)
    },
    onClose(reason) {
      if (members.delete(writer)) announce(`${name} left`)
      ended(reason)
    },
  }, { writer, decompressor: deflate?.inflater, limits: { maxMessageSize: 64 * 1024 } })
  keepAlive(reader, () => writer.writeControl(OpCode.Ping, noPayload), heartbeat)
  members.set(writer, { reader, name })
  writer.writeMessage(OpCode.Text, Buffer.from(`welcome, ${name}`))
  announce(`${name} joined`)
  return reader
}

const routes: ReadonlyMap<string, Route> = new Map([['/echo', echo], ['/chat', chat]])

// One Upgrader for both paths: over h2 it judges the extended CONNECT's fields
// (upgradeExtendedConnect), over HTTP/1.1 the request's head, with the same callbacks.
const upgrader = new Upgrader({
  onRequest: (uri) => {
    // server.close() stops new sessions and connections; a stream that comes on an h2 session
    // still open, or an upgrade on a kept-alive HTTP/1.1 connection, gets no new WebSocket.
    if (!server.listening) throw new HandshakeRejection(503, 'server stopping')
    const path = requestPath(uri)
    if (path === null) throw new HandshakeRejection(400, 'invalid request-target')
    if (!routes.has(path)) throw new HandshakeRejection(404, 'no WebSocket here')
  },
  // Only pages of this server's own https:// origin may connect (RFC 6455 §10.2); over h2 the
  // host compared is :authority.
  checkOrigin: sameOrigin(true),
  negotiate: deflateNegotiator({ minWindowBits: engine.minWindowBits }),
})
const keep = { keepRequest: true }
let connectionCount = 0

/** open hands an accepted WebSocket, from either path, to its route; `via` says which path. */
function open(accepted: Accepted<Duplex>, via: string): void {
  const path = accepted.request!.path! // onRequest let only the routes' paths through
  // The upgrader accepted at most one permessage-deflate element: the agreement is in it.
  const agreement = accepted.extensions.length > 0 ? agreementOf(accepted.extensions[0]) : null
  const deflate = agreement === null ? null : new PerMessageDeflate(agreement, 'server', { engine })
  const id = ++connectionCount
  console.log(`#${id} ${path} over ${via}${deflate === null ? '' : ', permessage-deflate'}`)
  const ended = (reason: Error) => {
    deflate?.close()
    console.log(`#${id} ${path} closed: ${reason.message}`)
  }
  connections.add(routes.get(path)!(accepted.socket, accepted.head, deflate, ended))
}

/** The page at /, and a 404 for every other request that is not a WebSocket. */
function page(method: string | undefined, target: string | undefined): { status: number; type: string; body: string } {
  if ((method === 'GET' || method === 'HEAD') && requestPath(Buffer.from(target ?? '', 'latin1')) === '/') return { status: 200, type: 'text/html; charset=utf-8', body: html }
  return { status: 404, type: 'text/plain; charset=utf-8', body: 'not found: the page is at /, WebSockets at /echo and /chat\n' }
}

const server = createSecureServer({
  cert,
  key,
  allowHTTP1: true, // ALPN offers h2 and http/1.1; a client that names neither gets HTTP/1.1 too
  // RFC 8441 §3: extended CONNECT allowed; at most 100 WebSockets (streams) on one connection.
  settings: { enableConnectProtocol: true, maxConcurrentStreams: 100 },
  handshakeTimeout: 5000, // the TLS handshake, bounded
})

// HTTP/1.1 requests that do not upgrade (the page, for a browser that does not speak h2).
// Adding a 'request' listener turns on node:http2's compatibility layer: a 'stream' listener
// of its own that makes a request and a response of every h2 stream, and answers any CONNECT
// with 405. This server answers its h2 streams itself (below), so whatever 'stream' listener
// adding 'request' brought is taken off again.
const streamListeners = new Set(server.listeners('stream'))
server.on('request', (req: IncomingMessage, res: ServerResponse) => {
  const { status, type, body } = page(req.method, req.url)
  res.writeHead(status, { 'content-type': type })
  res.end(req.method === 'HEAD' ? undefined : body)
})
for (const listener of server.listeners('stream')) {
  if (!streamListeners.has(listener)) server.off('stream', listener as (...args: unknown[]) => void)
}

// Every h2 session gets a number, for the per-connection line, and is kept until it closes,
// to be sent a GOAWAY at shutdown.
const sessions = new Map<ServerHttp2Session, number>()
let sessionCount = 0
server.on('session', (session: ServerHttp2Session) => {
  sessions.set(session, ++sessionCount)
  session.once('close', () => sessions.delete(session))
})

// h2: an extended CONNECT is a WebSocket; any other request is the page or a 404.
server.on('stream', (stream: ServerHttp2Stream, headers: IncomingHttpHeaders, _flags: number, rawHeaders: string[]) => {
  if (headers[':method'] !== 'CONNECT') {
    stream.on('error', ignore) // a peer's RST_STREAM mid-answer
    const { status, type, body } = page(headers[':method'], headers[':path'])
    stream.respond({ ':status': status, 'content-type': type })
    stream.end(headers[':method'] === 'HEAD' ? undefined : body)
    return
  }
  let accepted
  try {
    accepted = acceptHttp2Stream(stream, rawHeaders, upgrader, keep)
  } catch (error) {
    // A refusal is answered already; a stream reset before its turn needs nothing; anything
    // else (a bug in a callback) reset the stream. The session goes on.
    if (!(error instanceof HandshakeRejection) && !(error instanceof SocketClosedError)) console.error(`h2 WebSocket failed: ${(error as Error).message}`)
    return
  }
  open(accepted, `h2 (session ${sessions.get(stream.session as ServerHttp2Session)})`)
})

// HTTP/1.1 (allowHTTP1): the upgrade request, as node:https would hand it over.
server.on('upgrade', (req: IncomingMessage, socket: Duplex, head: Buffer) => {
  let accepted
  try {
    accepted = acceptHttpUpgrade(req, socket, head, upgrader, keep)
  } catch (error) {
    if (!(error instanceof HandshakeRejection)) console.error(`upgrade failed: ${(error as Error).message}`)
    return
  }
  open(accepted, 'http/1.1')
})
// A client that does not trust the certificate fails its TLS handshake: node:tls has destroyed
// the socket already, nothing more to do.
server.on('tlsClientError', ignore)

// Stopping: no new sessions or connections, a GOAWAY to every h2 session (its open streams,
// the WebSockets, go on until they close), then 1001 to every connection (lib/shutdown.ts).
stopOnSignals({
  close: () => {
    server.close()
    for (const session of sessions.keys()) session.close()
  },
}, connections)

listen(server, values.port, (port) =>
  `page at https://127.0.0.1:${port}/ (h2, or HTTP/1.1), WebSockets at wss://127.0.0.1:${port}/echo and /chat\n${about}`)

/** ignore: an error that needs nothing more (the stream or socket is destroyed already). */
function ignore(): void {}

/** The page: it connects to its own origin's /echo and /chat and shows what comes back. */
const html = `<!doctype html>
<html lang="en">
<meta charset="utf-8">
<title>WebSockets over HTTP/2</title>
<h1>WebSockets over HTTP/2</h1>
<p id="status">connecting...</p>
<form id="form"><input id="text" autocomplete="off" placeholder="say something to the chat"> <button>send</button></form>
<ul id="log"></ul>
<script>
  const log = (line) => {
    const item = document.createElement('li')
    item.textContent = line
    document.getElementById('log').append(item)
  }
  const page = performance.getEntriesByType('navigation')[0].nextHopProtocol
  const echo = new WebSocket('wss://' + location.host + '/echo')
  echo.onopen = () => echo.send('echo check')
  echo.onmessage = (event) => log('echo: ' + event.data)
  const chat = new WebSocket('wss://' + location.host + '/chat')
  chat.onopen = () => {
    document.getElementById('status').textContent = 'page over ' + page + '; chat open, extensions: ' + (chat.extensions || 'none')
  }
  chat.onmessage = (event) => log(event.data)
  chat.onclose = (event) => log('chat closed: ' + event.code + (event.reason ? ' ' + event.reason : ''))
  document.getElementById('form').onsubmit = (event) => {
    event.preventDefault()
    const text = document.getElementById('text')
    if (text.value !== '') chat.send(text.value)
    text.value = ''
  }
</script>
</html>
`
