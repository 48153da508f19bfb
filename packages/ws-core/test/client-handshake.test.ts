import t, { type Test } from 'tap'
import { acceptKey } from '../src/accept.js'
import { buildClientRequest, type ClientHandshake, parseServerResponse } from '../src/client-handshake.js'
import { HandshakeError } from '../src/errors.js'
import { Upgrader } from '../src/upgrader.js'

const ascii = (s: string) => Uint8Array.from(s, (c) => c.charCodeAt(0))
const text = (b: Uint8Array) => String.fromCharCode(...b)

function response(handshake: ClientHandshake, extra: string[] = [], status = '101 Switching Protocols'): string {
  return [`HTTP/1.1 ${status}`, 'Upgrade: websocket', 'Connection: Upgrade', `Sec-WebSocket-Accept: ${acceptKey(handshake.key)}`, ...extra, '', ''].join('\r\n')
}

function expectFailure(t: Test, handshake: ClientHandshake, raw: string, status: number, message: RegExp) {
  try {
    parseServerResponse(handshake, ascii(raw))
    t.fail(`accepted: ${message}`)
  } catch (error) {
    t.ok(error instanceof HandshakeError, `HandshakeError: ${message}`)
    t.equal((error as HandshakeError).status, status)
    t.equal((error as HandshakeError).code, 'WS_HANDSHAKE_FAILED')
    t.match((error as HandshakeError).message, message)
  }
}

t.test('the request is a valid handshake with a fresh 16-byte key', async (t) => {
  const handshake = buildClientRequest({
    host: 'example.com:8080', path: '/chat?room=1', protocols: ['v2.chat', 'v1.chat'],
    extensions: [{ name: 'permessage-deflate', params: [{ name: 'client_max_window_bits', value: null }] }],
    headers: [['Origin', 'http://example.com']],
  })
  const request = text(handshake.request)
  t.match(request, /^GET \/chat\?room=1 HTTP\/1\.1\r\nHost: example\.com:8080\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n/)
  t.match(request, /\r\nSec-WebSocket-Version: 13\r\nSec-WebSocket-Protocol: v2\.chat, v1\.chat\r\n/)
  t.match(request, /\r\nSec-WebSocket-Extensions: permessage-deflate; client_max_window_bits\r\nOrigin: http:\/\/example\.com\r\n\r\n$/)
  t.equal(Buffer.from(handshake.key, 'base64').length, 16)
  t.not(buildClientRequest({ host: 'a', path: '/' }).key, handshake.key, 'a new key each time')
  // Our own server accepts it, and our client accepts that answer.
  const accepted = new Upgrader({ protocol: (name) => text(name) === 'v1.chat', negotiate: (offer) => offer }).upgrade(handshake.request)
  if (accepted.kind !== 'accepted') return t.fail('our server refused our request')
  const result = parseServerResponse(handshake, accepted.response)
  t.equal(result?.protocol, 'v1.chat')
  t.same(result?.extensions, handshake.extensions)
  t.equal(result?.end, accepted.response.length)
})

t.test('the request refuses what it cannot send', async (t) => {
  t.throws(() => buildClientRequest({ host: 'a', path: 'no-slash' }), TypeError)
  t.throws(() => buildClientRequest({ host: 'a', path: '/a b' }), TypeError)
  t.throws(() => buildClientRequest({ host: 'a', path: '/', protocols: ['a b'] }), TypeError)
  t.throws(() => buildClientRequest({ host: 'a', path: '/', protocols: [''] }), TypeError)
  t.throws(() => buildClientRequest({ host: 'a\r\nX: y', path: '/' }), TypeError, 'no header injection')
  for (const name of ['Host', 'upgrade', 'Connection', 'Sec-WebSocket-Key', 'Sec-WebSocket-Version', 'Sec-WebSocket-Protocol', 'Sec-WebSocket-Extensions']) {
    t.throws(() => buildClientRequest({ host: 'a', path: '/', headers: [[name, 'x']] }), TypeError, `extra ${name}`)
  }
  t.throws(() => buildClientRequest({ host: 'a', path: '/', extensions: [{ name: 'a b', params: [] }] }), TypeError, 'a non-token extension name')
  t.throws(() => buildClientRequest({ host: 'a', path: '/', extensions: [{ name: 'a', params: [{ name: 'p', value: '' }] }] }), TypeError, 'an empty parameter value')
})

t.test('response split at every byte: null until complete, leftover bytes kept', async (t) => {
  const handshake = buildClientRequest({ host: 'a', path: '/' })
  const head = response(handshake)
  const bytes = ascii(head + '\x81\x02hi')
  for (let cut = 0; cut < head.length; cut++) {
    if (parseServerResponse(handshake, bytes.subarray(0, cut)) !== null) t.fail(`cut at ${cut}`)
  }
  const result = parseServerResponse(handshake, bytes)
  t.equal(result?.end, head.length)
  t.ok(parseServerResponse(handshake, ascii(head.replace('Upgrade: websocket', 'Upgrade:\twebsocket \t'))), 'whitespace around values')
  t.same([...bytes.subarray(result!.end)], [0x81, 0x02, 0x68, 0x69], 'a frame right behind the head is not lost')
  t.same(result?.headers.slice(0, 2), [['upgrade', 'websocket'], ['connection', 'Upgrade']])
})

t.test('every way a response can fail the handshake (RFC 6455 §4.1)', async (t) => {
  const handshake = buildClientRequest({ host: 'a', path: '/', protocols: ['chat'], extensions: [{ name: 'permessage-deflate', params: [] }] })
  const ok = response(handshake)
  t.ok(parseServerResponse(handshake, ascii(ok)))
  expectFailure(t, handshake, 'HTTP/1.1 403 Forbidden\r\nX-Why: no\r\nContent-Length: 0\r\n\r\n', 403, /server answered 403 Forbidden/)
  expectFailure(t, handshake, 'HTTP/1.1 302 Found\r\nLocation: /elsewhere\r\n\r\n', 302, /302/)
  expectFailure(t, handshake, 'HTTP/1.1 200 OK\r\n\r\n', 200, /200/)
  expectFailure(t, handshake, 'ICY 200 OK\r\n\r\n', 0, /malformed status line/)
  expectFailure(t, handshake, ok.replace('Upgrade: websocket', 'Upgrade: h2c'), 101, /Upgrade/)
  expectFailure(t, handshake, ok.replace('Connection: Upgrade', 'Connection: close'), 101, /Connection/)
  expectFailure(t, handshake, ok.replace(acceptKey(handshake.key), acceptKey('dGhlIHNhbXBsZSBub25jZQ==')), 101, /does not match/)
  expectFailure(t, handshake, ok.replace(/Sec-WebSocket-Accept[^\r]*\r\n/, ''), 101, /does not match/)
  expectFailure(t, handshake, response(handshake, [`Sec-WebSocket-Accept: ${acceptKey(handshake.key)}`]), 101, /duplicate/)
  expectFailure(t, handshake, response(handshake, ['Sec-WebSocket-Protocol: superchat']), 101, /not offered: superchat/)
  expectFailure(t, handshake, response(handshake, ['Sec-WebSocket-Protocol: chat', 'Sec-WebSocket-Protocol: chat']), 101, /subprotocol/)
  expectFailure(t, handshake, response(handshake, ['Sec-WebSocket-Extensions: x-webkit-deflate-frame']), 101, /not offered: x-webkit/)
  expectFailure(t, handshake, response(handshake, ['Sec-WebSocket-Extensions: permessage-deflate, permessage-deflate']), 101, /twice/)
  expectFailure(t, handshake, response(handshake, ['Sec-WebSocket-Extensions: permessage-deflate;;']), 101, /malformed Sec-WebSocket-Extensions/)
  expectFailure(t, handshake, response(handshake, ['no colon here']), 101, /malformed header line/)
  expectFailure(t, handshake, 'HTTP/1.1 101 OK\nUpgrade: websocket\n\n', 0, /bare-lf/)
  expectFailure(t, handshake, ok.replace('Connection: Upgrade\r\n', 'X: a\rSec-WebSocket-Protocol: chat\r\nConnection: Upgrade\r\n'), 0, /bare-cr/)
  expectFailure(t, handshake, ok.replace('HTTP/1.1 101', 'HTTP/1.0 101'), 0, /malformed status line/)
  expectFailure(t, handshake, ok.replace('Upgrade: websocket', 'Upgrade: foo, websocket'), 101, /Upgrade header must be "websocket"/)
  expectFailure(t, handshake, response(handshake, ['X-Nul: a\x00b']), 101, /malformed header line/)
  expectFailure(t, handshake, response(handshake, ['Sec-WebSocket-Protocol : evil']), 101, /malformed header line/)
  t.throws(() => parseServerResponse(handshake, ascii(ok), 0, { headerCount: 2 }), HandshakeError, 'limits apply')
  const noProtocol = buildClientRequest({ host: 'a', path: '/' })
  expectFailure(t, noProtocol, response(noProtocol, ['Sec-WebSocket-Protocol: chat']), 101, /not offered/)
  const chosen = parseServerResponse(handshake, ascii(response(handshake, ['Sec-WebSocket-Protocol: chat', 'Sec-WebSocket-Extensions: permessage-deflate; server_no_context_takeover'])))
  t.equal(chosen?.protocol, 'chat')
  t.same(chosen?.extensions, [{ name: 'permessage-deflate', params: [{ name: 'server_no_context_takeover', value: null }] }])
})
