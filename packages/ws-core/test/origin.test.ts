import t from 'tap'
import { allowOrigins, normalizeOrigin, sameOrigin } from '../src/origin.js'
import { Upgrader } from '../src/upgrader.js'

const ascii = (s: string) => Uint8Array.from(s, (c) => c.charCodeAt(0))

t.test('normalizeOrigin: canonical http(s) origins only (RFC 6454 §6.1)', async (t) => {
  const cases: [string, string | null][] = [
    ['http://example.com', 'http://example.com'],
    ['HTTP://Example.COM', 'http://example.com'],
    ['http://example.com:80', 'http://example.com'],
    ['https://example.com:443', 'https://example.com'],
    ['https://example.com:8443', 'https://example.com:8443'],
    ['http://example.com:0080', 'http://example.com'],
    ['http://example.com/', 'http://example.com'],
    ['http://[::1]:8080', 'http://[::1]:8080'],
    ['null', null],
    ['file://', null],
    ['chrome-extension://abc', null],
    ['http://example.com/path', null],
    ['http://', null],
    ['http://a b', null],
    ['http://example.com:123456', null],
  ]
  for (const [origin, expected] of cases) t.equal(normalizeOrigin(origin), expected, origin)
})

t.test('sameOrigin compares Origin with the server\'s scheme and Host', async (t) => {
  const plain = sameOrigin(false)
  const tls = sameOrigin(true)
  t.ok(plain('http://example.com:8080', 'example.com:8080'))
  t.ok(plain('http://Example.com', 'example.com:80'), 'default port on either side')
  t.ok(tls('https://example.com', 'EXAMPLE.com:443'))
  t.ok(plain(null, 'example.com'), 'no Origin: not a browser')
  t.notOk(plain('http://evil.example', 'example.com'))
  t.notOk(plain('http://example.com:8081', 'example.com:8080'))
  t.notOk(tls('http://example.com', 'example.com'), 'the plain-http page of a wss server')
  t.notOk(tls('http://example.com:443', 'example.com'), 'http on the https port')
  t.notOk(plain('https://example.com', 'example.com'), 'the https page of a ws server is another origin')
  t.notOk(plain('null', 'example.com'), 'an opaque origin')
})

t.test('allowOrigins allows exactly its list', async (t) => {
  const check = allowOrigins(['https://app.example', 'http://localhost:3000'])
  t.ok(check('https://APP.example:443', 'api.example'))
  t.ok(check('http://localhost:3000', 'x'))
  t.ok(check(null, 'x'))
  t.notOk(check('https://app.example:8443', 'x'))
  t.notOk(check('null', 'x'))
  t.throws(() => allowOrigins(['*']), TypeError)
})

t.test('the Upgrader refuses a disallowed Origin with 403, after every header is read', async (t) => {
  const request = (origin?: string, host = 'example.com') => ascii(`GET / HTTP/1.1\r\n${origin === undefined ? '' : `Origin: ${origin}\r\n`}` +
    `Host: ${host}\r\nUpgrade: websocket\r\nConnection: Upgrade\r\nSec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\nSec-WebSocket-Version: 13\r\n\r\n`)
  const seen: string[] = []
  const upgrader = new Upgrader({ checkOrigin: sameOrigin(false), onHeader: (name) => seen.push(String.fromCharCode(...name)) })
  t.equal(upgrader.upgrade(request('http://example.com')).kind, 'accepted', 'Origin before Host')
  t.same(seen, ['Origin'], 'Origin still reaches onHeader')
  const refused = upgrader.upgrade(request('http://evil.example'))
  t.equal(refused.kind === 'rejected' && refused.error.status, 403)
  t.equal(upgrader.upgrade(request()).kind, 'accepted', 'no Origin')
  const twice = upgrader.upgrade(ascii(String.fromCharCode(...request('http://example.com')).replace('Host:', 'Origin: http://evil.example\r\nHost:')))
  t.equal(twice.kind === 'rejected' && twice.error.status, 400, 'two Origin headers')
  t.equal(new Upgrader().upgrade(request('http://evil.example')).kind, 'accepted', 'no check configured')
})
