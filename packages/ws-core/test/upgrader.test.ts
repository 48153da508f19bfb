import t from 'tap'
import { HandshakeRejection } from '../src/errors.js'
import { type Extension } from '../src/extension.js'
import { rejectionResponse, Upgrader, type UpgradeResult } from '../src/upgrader.js'

const ascii = (s: string) => Uint8Array.from(s, (c) => c.charCodeAt(0))
const text = (b: Uint8Array) => String.fromCharCode(...b)

const base: [string, string][] = [
  ['Host', 'example.com'],
  ['Upgrade', 'websocket'],
  ['Connection', 'Upgrade'],
  ['Sec-WebSocket-Key', 'dGhlIHNhbXBsZSBub25jZQ=='],
  ['Sec-WebSocket-Version', '13'],
]

function request(headers: [string, string][] = base, line = 'GET /chat?x=1 HTTP/1.1'): string {
  return `${line}\r\n${headers.map(([n, v]) => `${n}: ${v}\r\n`).join('')}\r\n`
}
const without = (name: string) => base.filter(([n]) => n !== name)
const replaced = (name: string, value: string): [string, string][] => base.map(([n, v]) => [n, n === name ? value : v])

function statusOf(result: UpgradeResult): number {
  if (result.kind === 'incomplete') return 0
  return Number(text(result.response).split(' ')[1])
}

t.test('RFC 6455 §1.3/§4.2.2: the sample request is accepted with the sample answer', async (t) => {
  const result = new Upgrader().upgrade(ascii(request()))
  t.equal(result.kind, 'accepted')
  if (result.kind !== 'accepted') return
  t.equal(text(result.response), 'HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n' +
    'Sec-WebSocket-Accept: s3pPLMBiTxaQ9kYGzzhZRbK+xOo=\r\n\r\n')
  t.equal(result.end, request().length)
  t.equal(result.protocol, null)
  t.same(result.extensions, [])
})

t.test('a catalogue of malformed and hostile requests, each with its exact status', async (t) => {
  const cases: [string, string, number][] = [
    ['POST', request(base, 'POST /chat HTTP/1.1'), 405],
    ['lower-case get', request(base, 'get /chat HTTP/1.1'), 405],
    ['HTTP/1.0', request(base, 'GET /chat HTTP/1.0'), 505],
    ['HTTP/0.9', request(base, 'GET /chat HTTP/0.9'), 505],
    ['garbled version', request(base, 'GET /chat HTTX/1.1'), 400],
    ['version with extra digits', request(base, 'GET /chat HTTP/1.11'), 400],
    ['no request-target', request(base, 'GET  HTTP/1.1'), 400],
    ['no version', request(base, 'GET /chat'), 400],
    ['space in target', request(base, 'GET /a b HTTP/1.1'), 400],
    ['control char in target', request(base, 'GET /a\x01b HTTP/1.1'), 400],
    ['garbage line', request(base, '\x01\x02\x03'), 400],
    ['missing Host', request(without('Host')), 400],
    ['duplicate Host', request([...base, ['Host', 'evil.example']]), 400],
    ['missing Upgrade', request(without('Upgrade')), 400],
    ['Upgrade: h2c', request(replaced('Upgrade', 'h2c')), 400],
    ['missing Connection', request(without('Connection')), 400],
    ['Connection: keep-alive only', request(replaced('Connection', 'keep-alive')), 400],
    ['Connection: upgraded (not the token)', request(replaced('Connection', 'upgraded')), 400],
    ['Connection list with trailing separators', request(replaced('Connection', 'keep-alive, ,')), 400],
    ['missing key', request(without('Sec-WebSocket-Key')), 400],
    ['duplicate key', request([...base, ['Sec-WebSocket-Key', 'AAAAAAAAAAAAAAAAAAAAAA==']]), 400],
    ['key of 15 bytes', request(replaced('Sec-WebSocket-Key', 'AAAAAAAAAAAAAAAAAAAA')), 400],
    ['key not base64', request(replaced('Sec-WebSocket-Key', 'dGhlIHNhbXBsZSBub25j!Q==')), 400],
    ['key with stray bits', request(replaced('Sec-WebSocket-Key', 'dGhlIHNhbXBsZSBub25jZR==')), 400],
    ['missing version', request(without('Sec-WebSocket-Version')), 426],
    ['version 8', request(replaced('Sec-WebSocket-Version', '8')), 426],
    ['version 13, 8', request(replaced('Sec-WebSocket-Version', '13, 8')), 426],
    ['duplicate version', request([...base, ['Sec-WebSocket-Version', '13']]), 400],
    ['space before colon', request([...base, ['X-A ', 'b']]), 400],
    ['empty header name', request([...base, ['', 'b']]), 400],
    ['obsolete line folding', request(base).replace('Upgrade\r\n', 'Upgrade\r\n folded\r\n'), 400],
    ['NUL in a value', request([...base, ['X-A', 'a\x00b']]), 400],
    ['malformed extensions', request([...base, ['Sec-WebSocket-Extensions', 'permessage-deflate; =1']]), 400],
    ['malformed protocols', request([...base, ['Sec-WebSocket-Protocol', 'chat/1']]), 400],
    ['bare LF', request(base).replace(/\r\n/g, '\n'), 400],
    ['bare LF in the middle', request(base).replace('Upgrade\r\n', 'Upgrade\n'), 400],
    ['empty first line', `\r\n${request()}`, 400],
    ['bare CR hiding a header', request(base).replace('Host: example.com\r\n', 'X-A: b\rHost: evil.example\r\nHost: example.com\r\n'), 400],
    ['bare CR in the request line', request(base, 'GET / HTTP/1.1\rX'), 400],
    ['HTTP/2.0', request(base, 'GET /chat HTTP/2.0'), 505],
    ['fragment in the target', request(base, 'GET /chat#frag HTTP/1.1'), 400],
    ['empty Host', request(replaced('Host', '')), 400],
    ['Host with a space', request(replaced('Host', 'a b')), 400],
    ['Host with a path', request(replaced('Host', 'a/b')), 400],
    ['a body by Content-Length', request([...base, ['Content-Length', '5']]), 400],
    ['a body by Transfer-Encoding', request([...base, ['Transfer-Encoding', 'chunked']]), 400],
    ['protocols without commas', request([...base, ['Sec-WebSocket-Protocol', 'a b']]), 400],
    ['a malformed later protocol line', request([...base, ['Sec-WebSocket-Protocol', 'a'], ['Sec-WebSocket-Protocol', 'b;c']]), 400],
    ['an empty protocol list element', request([...base, ['Sec-WebSocket-Protocol', 'a,,b']]), 400],
  ]
  for (const [name, raw, status] of cases) {
    const result = new Upgrader({ protocol: () => true }).upgrade(ascii(raw))
    t.equal(result.kind, 'rejected', name)
    t.equal(statusOf(result), status, `${name}: status`)
    if (result.kind === 'rejected') {
      t.ok(result.error instanceof HandshakeRejection)
      t.equal(result.error.status, status)
      t.equal(result.error.code, 'WS_HANDSHAKE_REJECTED')
    }
  }
})

t.test('a rejection is a complete HTTP response', async (t) => {
  const result = new Upgrader().upgrade(ascii(request(replaced('Sec-WebSocket-Version', '8'))))
  t.equal(text(result.kind === 'rejected' ? result.response : new Uint8Array()),
    'HTTP/1.1 426 Upgrade Required\r\nSec-WebSocket-Version: 13\r\nConnection: close\r\n' +
    'Content-Type: text/plain; charset=utf-8\r\nContent-Length: 29\r\n\r\nunsupported WebSocket version')
  const post = new Upgrader().upgrade(ascii(request(base, 'POST / HTTP/1.1')))
  t.match(text(post.kind === 'rejected' ? post.response : new Uint8Array()), /^HTTP\/1\.1 405 Method Not Allowed\r\nAllow: GET\r\n/)
})

t.test('rejectionResponse renders a refusal decided elsewhere, with its fields and UTF-8 body', async (t) => {
  const response = rejectionResponse(new HandshakeRejection(429, 'slow down: é', [['Retry-After', '3']]))
  t.equal(new TextDecoder().decode(response),
    'HTTP/1.1 429 Too Many Requests\r\nRetry-After: 3\r\nConnection: close\r\n' +
    'Content-Type: text/plain; charset=utf-8\r\nContent-Length: 13\r\n\r\nslow down: é')
  t.throws(() => rejectionResponse(new HandshakeRejection(403, 'no', [['Content-Length', '0']])), TypeError, 'framing is the toolkit\'s')
  t.throws(() => rejectionResponse(new HandshakeRejection(403, 'no', [['X-A', 'a\r\nX-B: b']])), TypeError, 'no header injection')
})

t.test('lenient where HTTP is: case, whitespace and token lists', async (t) => {
  const headers: [string, string][] = [
    ['hOST', 'example.com'],
    ['upgrade', '  WebSocket  '],
    ['CONNECTION', 'keep-alive \t,\tUpgrade'],
    ['sec-websocket-key', 'dGhlIHNhbXBsZSBub25jZQ=='],
    ['Sec-Websocket-Version', '13'],
  ]
  t.equal(new Upgrader().upgrade(ascii(request(headers))).kind, 'accepted')
  t.equal(new Upgrader().upgrade(ascii(request(base, 'GET / HTTP/1.2'))).kind, 'accepted', 'a later 1.x minor version')
  t.equal(new Upgrader().upgrade(ascii(request([...base, ['Connection', 'Upgrade']]))).kind, 'accepted', 'list headers may repeat')
  t.equal(new Upgrader().upgrade(ascii(request([...base, ['Content-Length', '0']]))).kind, 'accepted', 'an empty body is no body')
  t.equal(new Upgrader({ protocol: () => true }).upgrade(ascii(request([...base, ['Sec-WebSocket-Protocol', ' a , b ']]))).kind, 'accepted', 'whitespace around list elements')
})

t.test('split at every byte: incomplete, no callback, until the last byte', async (t) => {
  const raw = ascii(request([...base, ['Origin', 'http://example.com'], ['Sec-WebSocket-Protocol', 'a, b']]))
  let calls = 0
  const upgrader = new Upgrader({ onRequest: () => calls++, onHost: () => calls++, onHeader: () => calls++, protocol: () => (calls++, true) })
  for (let cut = 0; cut < raw.length; cut++) {
    if (upgrader.upgrade(raw.subarray(0, cut)).kind !== 'incomplete') t.fail(`cut at ${cut} was not incomplete`)
  }
  t.equal(calls, 0, 'no callback before the head is complete')
  const result = upgrader.upgrade(raw)
  t.equal(result.kind, 'accepted')
  t.equal(calls, 4, 'request, host, one header, one protocol')
})

t.test('early data: bytes after the request are the caller\'s, at `end`', async (t) => {
  const frame = [0x81, 0x85, 0x37, 0xfa, 0x21, 0x3d, 0x7f, 0x9f, 0x4d, 0x51, 0x58]
  const head = request()
  const bytes = new Uint8Array(7 + head.length + frame.length)
  bytes.set(ascii(head), 7)
  bytes.set(frame, 7 + head.length)
  const result = new Upgrader().upgrade(bytes, 7)
  t.equal(result.kind, 'accepted')
  if (result.kind === 'accepted') {
    t.equal(result.end, 7 + head.length)
    t.same([...bytes.subarray(result.end)], frame, 'the frame is intact behind the head')
  }
  const garbage = ascii(request() + 'GET / HTTP/1.1\r\n\x00\x01garbage')
  const pipelined = new Upgrader().upgrade(garbage)
  t.equal(pipelined.kind, 'accepted', 'pipelined bytes are not the upgrader\'s to judge')
  if (pipelined.kind === 'accepted') t.equal(pipelined.end, request().length)
})

t.test('limits are judged on the bytes so far, before more are buffered', async (t) => {
  const upgrader = new Upgrader({ limits: { headBytes: 300, headerCount: 6, lineLength: 100 } })
  const longLine = ascii(`GET /${'a'.repeat(200)}`)
  t.equal(statusOf(upgrader.upgrade(longLine)), 414, 'an unfinished request line over the limit')
  const longHeader = ascii(`GET / HTTP/1.1\r\nX-Long: ${'b'.repeat(100)}`)
  t.equal(statusOf(upgrader.upgrade(longHeader)), 431, 'an unfinished header line over the limit')
  const many = ascii(request([...base, ['A', '1'], ['B', '2']]))
  t.equal(statusOf(upgrader.upgrade(many)), 431, 'too many headers')
  t.equal(statusOf(upgrader.upgrade(ascii(request([...base, ['A', '1']])))), 101, 'exactly the header count')
  const large = ascii(request([...base, ['A', 'x'.repeat(200)]]).slice(0, 301))
  t.equal(statusOf(new Upgrader({ limits: { headBytes: 300, lineLength: 1000 } }).upgrade(large)), 431, 'head over its byte limit, unfinished')
  t.equal(upgrader.upgrade(ascii(request()).subarray(0, 150)).kind, 'incomplete', 'within limits: wait')
  const defaults = new Upgrader()
  t.equal(statusOf(defaults.upgrade(ascii(`GET / HTTP/1.1\r\nX: ${'c'.repeat(8193)}`))), 431, 'default line limit 8 KiB')
  const hundredOne = Array.from({ length: 101 }, (_, i): [string, string] => [`X-${i}`, 'v'])
  t.equal(statusOf(defaults.upgrade(ascii(request([...base, ...hundredOne])))), 431, 'default header count 100')
  t.equal(statusOf(defaults.upgrade(ascii(`GET / HTTP/1.1\r\n${'X: y\r\n'.repeat(2800)}`))), 431, 'default head limit 16 KiB')
})

t.test('callbacks see views into the request, valid while they run, in order', async (t) => {
  const seen: string[] = []
  const raw = ascii(request([['Host', 'example.com:8080'], ['Origin', 'http://example.com'], ...base.slice(1),
    ['X-Trace', ' abc '], ['Sec-WebSocket-Protocol', 'v1.chat, v2.chat'], ['Sec-WebSocket-Protocol', 'v3']]))
  const views: Uint8Array[] = []
  const upgrader = new Upgrader({
    onRequest: (uri) => (views.push(uri), seen.push(`request ${text(uri)}`)),
    onHost: (host) => seen.push(`host ${text(host)}`),
    onHeader: (name, value) => seen.push(`header ${text(name)}=${text(value)}`),
    protocol: (name) => (seen.push(`protocol ${text(name)}`), text(name) === 'v2.chat'),
  })
  const result = upgrader.upgrade(raw)
  t.same(seen, ['request /chat?x=1', 'host example.com:8080', 'header Origin=http://example.com', 'header X-Trace=abc',
    'protocol v1.chat', 'protocol v2.chat'])
  t.equal(views[0].buffer, raw.buffer, 'a view, not a copy')
  t.equal(result.kind === 'accepted' && result.protocol, 'v2.chat', 'first accepted wins, later lines are not offered')
  raw.fill(0x41)
  t.equal(result.kind === 'accepted' && result.protocol, 'v2.chat', 'the result holds no view into the request')
  t.match(text(result.kind === 'accepted' ? result.response : new Uint8Array()), /\r\nSec-WebSocket-Protocol: v2\.chat\r\n/)
  const none = new Upgrader({ protocol: () => false }).upgrade(ascii(request([...base, ['Sec-WebSocket-Protocol', 'a, b']])))
  t.equal(none.kind === 'accepted' && none.protocol, null, 'no protocol accepted: the handshake goes on without one')
  t.notMatch(text(none.kind === 'accepted' ? none.response : new Uint8Array()), /Sec-WebSocket-Protocol/)
  const unasked = new Upgrader().upgrade(ascii(request([...base, ['Sec-WebSocket-Protocol', 'a']])))
  t.equal(unasked.kind === 'accepted' && unasked.protocol, null, 'without a protocol callback no protocol is chosen')
})

t.test('extensions are offered one by one and answered in order; one element per name', async (t) => {
  const offers: Extension[] = []
  const upgrader = new Upgrader({
    negotiate: (offer) => {
      offers.push(offer)
      return offer.name === 'permessage-deflate' ? { name: offer.name, params: [{ name: 'server_no_context_takeover', value: null }] } : null
    },
    onBeforeUpgrade: () => [['X-Server', 'ws-toolkit']],
  })
  const result = upgrader.upgrade(ascii(request([...base,
    ['Sec-WebSocket-Extensions', 'permessage-deflate; client_max_window_bits, permessage-deflate'],
    ['Sec-WebSocket-Extensions', 'x-unknown; a="b"']])))
  t.same(offers.map((o) => o.name), ['permessage-deflate', 'x-unknown'], 'the second permessage-deflate offer is an alternative to the accepted first')
  t.same(offers[0].params, [{ name: 'client_max_window_bits', value: null }])
  t.same(offers[1].params, [{ name: 'a', value: 'b' }])
  if (result.kind !== 'accepted') return t.fail('not accepted')
  t.same(result.extensions, [{ name: 'permessage-deflate', params: [{ name: 'server_no_context_takeover', value: null }] }])
  t.match(text(result.response), /\r\nSec-WebSocket-Extensions: permessage-deflate; server_no_context_takeover\r\nX-Server: ws-toolkit\r\n\r\n$/)
})

t.test('a declined offer gives way to the next offer of the same extension', async (t) => {
  const upgrader = new Upgrader({ negotiate: (offer) => (offer.params.length === 0 ? { name: offer.name, params: [] } : null) })
  const result = upgrader.upgrade(ascii(request([...base, ['Sec-WebSocket-Extensions', 'permessage-deflate; x=1, permessage-deflate']])))
  t.same(result.kind === 'accepted' && result.extensions, [{ name: 'permessage-deflate', params: [] }])
})

t.test('callbacks refuse with a typed rejection; other errors propagate', async (t) => {
  const refuse = new Upgrader({
    onHeader: (name, value) => {
      if (text(name).toLowerCase() === 'authorization' && text(value) !== 'Bearer ok') {
        throw new HandshakeRejection(401, 'bad token', [['WWW-Authenticate', 'Bearer']])
      }
    },
  })
  const result = refuse.upgrade(ascii(request([...base, ['Authorization', 'Bearer no']])))
  t.equal(statusOf(result), 401)
  t.match(text(result.kind === 'rejected' ? result.response : new Uint8Array()), /WWW-Authenticate: Bearer\r\n[^]*\r\n\r\nbad token$/)
  t.equal(refuse.upgrade(ascii(request([...base, ['Authorization', 'Bearer ok']]))).kind, 'accepted')
  const broken = new Upgrader({ onRequest: () => { throw new Error('boom') } })
  t.throws(() => broken.upgrade(ascii(request())), { message: 'boom' })
  const injecting = new Upgrader({ onBeforeUpgrade: () => [['X-A', 'a\r\nSet-Cookie: x']] })
  t.throws(() => injecting.upgrade(ascii(request())), TypeError, 'header injection is refused')
  const badName = new Upgrader({ onBeforeUpgrade: () => [['X A', 'a']] })
  t.throws(() => badName.upgrade(ascii(request())), TypeError)
  const emptyName = new Upgrader({ onBeforeUpgrade: () => [['', 'a']] })
  t.throws(() => emptyName.upgrade(ascii(request())), TypeError)
  t.equal(statusOf(new Upgrader({ onRequest: () => { throw new HandshakeRejection(418, 'teapot') } }).upgrade(ascii(request()))), 418)
  for (const status of [101, 200, 302, 399, 600, 404.5]) t.throws(() => new HandshakeRejection(status, 'x'), RangeError, `status ${status}`)
  for (const name of ['Content-Length', 'transfer-encoding', 'Connection', 'Upgrade', 'Sec-WebSocket-Accept', 'Sec-WebSocket-Protocol', 'Sec-WebSocket-Extensions']) {
    t.throws(() => new Upgrader({ onBeforeUpgrade: () => [[name, '1']] }).upgrade(ascii(request())), TypeError, `user header ${name}`)
  }
  const smuggling = new Upgrader({ negotiate: () => ({ name: 'permessage-deflate', params: [{ name: 'x', value: '1, evil; y' }] }) })
  t.throws(() => smuggling.upgrade(ascii(request([...base, ['Sec-WebSocket-Extensions', 'permessage-deflate']]))), TypeError, 'a non-token extension value')
})
