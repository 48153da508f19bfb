// RFC 8441: WebSockets over HTTP/2, both sides. An extended CONNECT request's fields, as HPACK decoded
// them (node:http2's rawHeaders: flat names and values), judged by Upgrader.upgradeExtendedConnect
// with the HTTP/1.1 handshake's checks and callbacks, and each RFC 8441 / RFC 9113 §8 rule with
// its exact status; then the client's request and its check of the answer.
import t from 'tap'
import { buildExtendedConnect, parseExtendedConnectResponse } from '../src/client-handshake.js'
import { HandshakeError, HandshakeRejection } from '../src/errors.js'
import { type ExtendedConnectResult, Upgrader } from '../src/upgrader.js'

/** What headless Chromium sends for `new WebSocket('wss://example.com/chat?x=1', ['chat'])` over h2, order kept. */
const chromium = [
  ':method', 'CONNECT', ':authority', 'example.com', ':scheme', 'https', ':path', '/chat?x=1', ':protocol', 'websocket',
  'pragma', 'no-cache', 'cache-control', 'no-cache', 'user-agent', 'Mozilla/5.0', 'origin', 'https://example.com',
  'sec-websocket-version', '13', 'sec-websocket-protocol', 'chat, superchat',
  'sec-websocket-extensions', 'permessage-deflate; client_max_window_bits',
]

/** fields returns `chromium` with `name`'s value replaced (or the field removed for null), then `extra` appended. */
function fields(name: string | null = null, value: string | null = null, extra: string[] = []): string[] {
  const out: string[] = []
  for (let i = 0; i < chromium.length; i += 2) {
    if (chromium[i] !== name) out.push(chromium[i], chromium[i + 1])
    else if (value !== null) out.push(chromium[i], value)
  }
  return [...out, ...extra]
}

const text = (bytes: Uint8Array) => new TextDecoder().decode(bytes)

function rejected(result: ExtendedConnectResult) {
  if (result.kind !== 'rejected') throw new Error('accepted')
  return { status: result.status, message: result.error.message, headers: result.headers, body: text(result.body) }
}

t.test('a request as Chromium sends it: accepted with 200, the chosen protocol and extension; the callbacks see it as over HTTP/1.1', async (t) => {
  const seen: string[] = []
  const upgrader = new Upgrader({
    onRequest: (uri) => seen.push(`request ${text(uri)}`),
    onHost: (host) => seen.push(`host ${text(host)}`),
    onHeader: (name, value) => seen.push(`${text(name)}: ${text(value)}`),
    protocol: (name) => text(name) === 'superchat',
    negotiate: (offer) => ({ name: offer.name, params: [] }),
    checkOrigin: (origin, host) => { seen.push(`origin ${origin} for ${host}`); return true },
    onBeforeUpgrade: () => [['X-Served-By', 'ws-toolkit']],
  })
  const result = upgrader.upgradeExtendedConnect(chromium)
  t.same(result, {
    kind: 'accepted',
    status: 200,
    headers: [['sec-websocket-protocol', 'superchat'], ['sec-websocket-extensions', 'permessage-deflate'], ['x-served-by', 'ws-toolkit']],
    protocol: 'superchat',
    extensions: [{ name: 'permessage-deflate', params: [] }],
  })
  t.same(seen, [
    'request /chat?x=1', 'host example.com',
    'pragma: no-cache', 'cache-control: no-cache', 'user-agent: Mozilla/5.0', 'origin: https://example.com',
    'origin https://example.com for example.com',
  ], 'pseudo-headers are not headers; the handshake\'s own fields are consumed as over HTTP/1.1')
})

t.test('the least request: no Origin, no subprotocol, no extension', async (t) => {
  const least = [':method', 'CONNECT', ':protocol', 'websocket', ':scheme', 'http', ':path', '/', ':authority', '127.0.0.1:8080', 'sec-websocket-version', '13']
  t.same(new Upgrader().upgradeExtendedConnect(least), { kind: 'accepted', status: 200, headers: [], protocol: null, extensions: [] })
  // No key is exchanged over HTTP/2 (RFC 8441 §5): one sent anyway is not read, not even checked.
  t.equal(new Upgrader().upgradeExtendedConnect([...least, 'sec-websocket-key', 'not base64']).kind, 'accepted')
  // :protocol's token is compared without regard to case, as Upgrade's is.
  t.equal(new Upgrader().upgradeExtendedConnect(fields(':protocol', 'WebSocket')).kind, 'accepted')
  // A Host naming :authority, in any case, is redundant (RFC 9113 §8.3.1).
  t.equal(new Upgrader().upgradeExtendedConnect(fields(null, null, ['host', 'EXAMPLE.com'])).kind, 'accepted')
})

t.test('each broken rule, with its exact status and message', async (t) => {
  const cases: [string, string[], number, string][] = [
    ['a GET', fields(':method', 'GET'), 405, 'a WebSocket over HTTP/2 is an extended CONNECT request (RFC 8441 §4)'],
    ['no :method', fields(':method'), 405, 'a WebSocket over HTTP/2 is an extended CONNECT request (RFC 8441 §4)'],
    ['a plain CONNECT', fields(':protocol'), 400, 'missing :protocol: a CONNECT without it is not a WebSocket'],
    ['another protocol', fields(':protocol', 'webtransport'), 400, ':protocol is not websocket'],
    ['no :scheme', fields(':scheme'), 400, 'an extended CONNECT needs :scheme and :path (RFC 8441 §4)'],
    ['no :path', fields(':path'), 400, 'an extended CONNECT needs :scheme and :path (RFC 8441 §4)'],
    ['no :authority', fields(':authority'), 400, 'missing :authority'],
    ['an empty pseudo-header', fields(':path', ''), 400, 'empty :path'],
    ['a repeated pseudo-header', [':method', 'CONNECT', ...fields()], 400, ':method is repeated or not a request pseudo-header'],
    ['a response pseudo-header', [':status', '200', ...fields()], 400, ':status is repeated or not a request pseudo-header'],
    ['a pseudo-header after a field', fields(null, null, [':x', 'y']), 400, 'pseudo-header :x after a regular field'],
    ['an upper-case name', fields(null, null, ['X-Trace', '1']), 400, 'malformed header name "X-Trace"'],
    ['a name with a space', fields(null, null, ['x trace', '1']), 400, 'malformed header name "x trace"'],
    ['an empty name', fields(null, null, ['', '1']), 400, 'empty header name'],
    ['a CR LF in a value', fields(null, null, ['x-trace', '1\r\nhost: evil']), 400, 'malformed value of x-trace'],
    ['a NUL in a value', fields(null, null, ['x-trace', '1\0']), 400, 'malformed value of x-trace'],
    ['a character above U+00FF', fields(null, null, ['x-trace', 'κ']), 400, 'malformed value of x-trace'],
    ['a LF in :path', fields(':path', '/a\nb'), 400, 'malformed value of :path'],
    ['a DEL in :authority', fields(':authority', 'a\x7f'), 400, 'malformed value of :authority'],
    ['Connection', fields(null, null, ['connection', 'upgrade']), 400, 'connection is connection-specific, not allowed in HTTP/2'],
    ['Upgrade', fields(null, null, ['upgrade', 'websocket']), 400, 'upgrade is connection-specific, not allowed in HTTP/2'],
    ['Keep-Alive', fields(null, null, ['keep-alive', '5']), 400, 'keep-alive is connection-specific, not allowed in HTTP/2'],
    ['Transfer-Encoding', fields(null, null, ['transfer-encoding', 'chunked']), 400, 'transfer-encoding is connection-specific, not allowed in HTTP/2'],
    ['TE other than trailers', fields(null, null, ['te', 'gzip']), 400, 'te is connection-specific, not allowed in HTTP/2'],
    ['a Host naming another authority', fields(null, null, ['host', 'evil.example']), 400, 'Host differs from :authority'],
    ['two Hosts', fields(null, null, ['host', 'example.com', 'host', 'example.com']), 400, 'duplicate Host header'],
    // The HTTP/1.1 handshake's own checks, through the head written from the fields.
    ['version 8', fields('sec-websocket-version', '8'), 426, 'unsupported WebSocket version'],
    ['no version', fields('sec-websocket-version'), 426, 'unsupported WebSocket version'],
    ['a fragment in :path', fields(':path', '/chat#x'), 400, 'malformed request-target'],
    ['a :path with a space', fields(':path', '/a b'), 400, 'malformed HTTP version'],
    ['an :authority with a slash', fields(':authority', 'a/b'), 400, 'invalid Host header'],
    ['a body', fields(null, null, ['content-length', '5']), 400, 'a WebSocket handshake has no body'],
    ['a malformed subprotocol list', fields('sec-websocket-protocol', 'a b'), 400, 'malformed Sec-WebSocket-Protocol header'],
    ['two Origins', fields(null, null, ['origin', 'https://other.example']), 400, 'duplicate Origin header'],
  ]
  for (const [name, request, status, message] of cases) {
    const result = rejected(new Upgrader().upgradeExtendedConnect(request))
    t.same([result.status, result.message], [status, message], name)
    t.equal(result.body, message, `${name}: the body is the message`)
  }
  t.same(rejected(new Upgrader().upgradeExtendedConnect(fields(':method', 'GET'))).headers, [['allow', 'CONNECT'], ['content-type', 'text/plain; charset=utf-8']])
  t.same(rejected(new Upgrader().upgradeExtendedConnect(fields('sec-websocket-version', '8'))).headers,
    [['sec-websocket-version', '13'], ['content-type', 'text/plain; charset=utf-8']], '426 names the version spoken (RFC 6455 §4.4)')
  t.equal(new Upgrader().upgradeExtendedConnect(fields(null, null, ['te', 'trailers'])).kind, 'accepted', 'TE: trailers is allowed (RFC 9113 §8.2.2)')
})

t.test('the head limits apply as over HTTP/1.1', async (t) => {
  const many = Array.from({ length: 100 }, (_, i) => [`x-${i}`, 'v']).flat()
  t.same([rejected(new Upgrader().upgradeExtendedConnect(fields(null, null, many))).status], [431], 'too many fields')
  t.same([rejected(new Upgrader({ limits: { lineLength: 64 } }).upgradeExtendedConnect(fields(null, null, ['x-long', 'v'.repeat(100)]))).status], [431])
  t.same([rejected(new Upgrader({ limits: { lineLength: 64 } }).upgradeExtendedConnect(fields(':path', `/${'p'.repeat(100)}`))).status], [414])
})

t.test('callbacks refuse, and their other errors reach the caller', async (t) => {
  const origin = new Upgrader({ checkOrigin: () => false }).upgradeExtendedConnect(chromium)
  t.same([rejected(origin).status, rejected(origin).message], [403, 'origin not allowed'])
  const refused = new Upgrader({
    onRequest: () => { throw new HandshakeRejection(401, 'who are you', [['WWW-Authenticate', 'Bearer']]) },
  }).upgradeExtendedConnect(chromium)
  t.same(rejected(refused).headers, [['www-authenticate', 'Bearer'], ['content-type', 'text/plain; charset=utf-8']])
  t.throws(() => new Upgrader({ onHost: () => { throw new RangeError('bug') } }).upgradeExtendedConnect(chromium), RangeError)
})

t.test('response fields that HTTP/2 or the handshake forbid are a TypeError', async (t) => {
  for (const name of ['Keep-Alive', 'Proxy-Connection', 'Connection', 'Sec-WebSocket-Protocol', 'Content-Length', 'bad name']) {
    t.throws(() => new Upgrader({ onBeforeUpgrade: () => [[name, 'x']] }).upgradeExtendedConnect(chromium), TypeError, `onBeforeUpgrade ${name}`)
    t.throws(() => new Upgrader({ onRequest: () => { throw new HandshakeRejection(400, 'no', [[name, 'x']]) } }).upgradeExtendedConnect(chromium),
      TypeError, `a rejection's ${name}`)
  }
  t.throws(() => new Upgrader({ onBeforeUpgrade: () => [['x-ok', 'a\r\nb']] }).upgradeExtendedConnect(chromium), TypeError)
})

// The client's side: buildExtendedConnect and parseExtendedConnectResponse.

t.test('buildExtendedConnect: the request\'s fields in order, pseudo-headers first, no key, Host, Upgrade or Connection', async (t) => {
  const request = buildExtendedConnect({
    scheme: 'https', host: 'example.com:8443', path: '/chat?x=1', protocols: ['chat', 'superchat'],
    extensions: [{ name: 'permessage-deflate', params: [{ name: 'client_max_window_bits', value: null }] }], headers: [['Origin', 'https://example.com'], ['X-Trace', '1']],
  })
  t.same(request.fields, [
    [':method', 'CONNECT'], [':protocol', 'websocket'], [':scheme', 'https'], [':path', '/chat?x=1'], [':authority', 'example.com:8443'],
    ['sec-websocket-version', '13'], ['sec-websocket-protocol', 'chat, superchat'], ['sec-websocket-extensions', 'permessage-deflate; client_max_window_bits'],
    ['origin', 'https://example.com'], ['x-trace', '1'],
  ])
  t.same(buildExtendedConnect({ scheme: 'http', host: '127.0.0.1', path: '/' }).fields.map(([name]) => name),
    [':method', ':protocol', ':scheme', ':path', ':authority', 'sec-websocket-version'], 'nothing offered, nothing sent')
  for (const [what, options] of [
    ['a path without /', { path: 'chat' }],
    ['a path with a space', { path: '/a b' }],
    ['a host with a CR', { host: 'a\rb' }],
    ['a subprotocol that is not a token', { protocols: ['a b'] }],
    ['Host again', { headers: [['Host', 'x']] }],
    ['Sec-WebSocket-Key', { headers: [['Sec-WebSocket-Key', 'x']] }],
    ['Connection', { headers: [['Connection', 'close']] }],
    ['Keep-Alive', { headers: [['Keep-Alive', '5']] }],
    ['TE', { headers: [['TE', 'trailers']] }],
    ['a pseudo-header', { headers: [[':status', '200']] }],
    ['a value with a LF', { headers: [['x-a', 'b\nc']] }],
  ] as [string, Partial<Parameters<typeof buildExtendedConnect>[0]>][]) {
    t.throws(() => buildExtendedConnect({ scheme: 'https', host: 'example.com', path: '/', ...options }), TypeError, what)
  }
})

t.test('parseExtendedConnectResponse: any 2xx accepts; the choices are checked as over HTTP/1.1', async (t) => {
  const request = buildExtendedConnect({ scheme: 'https', host: 'h', path: '/', protocols: ['chat'], extensions: [{ name: 'permessage-deflate', params: [] }] })
  t.same(parseExtendedConnectResponse(request, 200, [':status', '200', 'sec-websocket-protocol', 'chat', 'sec-websocket-extensions', 'permessage-deflate; server_no_context_takeover', 'Date', 'x']), {
    protocol: 'chat',
    extensions: [{ name: 'permessage-deflate', params: [{ name: 'server_no_context_takeover', value: null }] }],
    headers: [['sec-websocket-protocol', 'chat'], ['sec-websocket-extensions', 'permessage-deflate; server_no_context_takeover'], ['date', 'x']],
  })
  t.same(parseExtendedConnectResponse(request, 204, []), { protocol: null, extensions: [], headers: [] }, 'a 2xx other than 200 accepts too (RFC 8441 §5)')
  const cases: [string, number, string[], string][] = [
    ['a 101', 101, [], 'server answered 101'],
    ['a 403', 403, ['content-type', 'text/plain'], 'server answered 403'],
    ['a protocol not offered', 200, ['sec-websocket-protocol', 'other'], 'server chose a subprotocol that was not offered: other'],
    ['two protocols', 200, ['sec-websocket-protocol', 'chat', 'sec-websocket-protocol', 'chat'], 'server chose a subprotocol that was not offered: chat'],
    ['an extension not offered', 200, ['sec-websocket-extensions', 'x-other'], 'server chose an extension that was not offered: x-other'],
    ['an extension twice', 200, ['sec-websocket-extensions', 'permessage-deflate, permessage-deflate'], 'server chose extension permessage-deflate twice'],
    ['malformed extensions', 200, ['sec-websocket-extensions', 'permessage-deflate; =1'], 'malformed Sec-WebSocket-Extensions header'],
  ]
  for (const [what, status, fields, message] of cases) {
    const error = (() => { try { parseExtendedConnectResponse(request, status, fields); return null } catch (e) { return e } })()
    t.ok(error instanceof HandshakeError, what)
    t.same([(error as HandshakeError).message, (error as HandshakeError).status], [message, status], what)
  }
  const refused = (() => { try { return parseExtendedConnectResponse(request, 403, ['content-type', 'text/plain']) } catch (e) { return e as HandshakeError } })() as HandshakeError
  t.same(refused.headers, [['content-type', 'text/plain']], 'the refusal keeps its fields')
})

t.test('a round trip: what buildExtendedConnect sends, the Upgrader accepts, and the answer checks out', async (t) => {
  const request = buildExtendedConnect({ scheme: 'http', host: '127.0.0.1:8080', path: '/ws', protocols: ['a', 'b'], extensions: [{ name: 'permessage-deflate', params: [] }] })
  const result = new Upgrader({ protocol: (name) => text(name) === 'b', negotiate: (offer) => offer }).upgradeExtendedConnect(request.fields.flat())
  if (result.kind !== 'accepted') throw result.error
  t.same(parseExtendedConnectResponse(request, result.status, result.headers.flat()), { protocol: 'b', extensions: [{ name: 'permessage-deflate', params: [] }], headers: result.headers })
})
