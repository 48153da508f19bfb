// Issue 14: a server MUST accept the absolute-form of request-target (RFC 9112 §3.2.2), so the
// path a WebSocket handshake asks for (RFC 6455 §4.1, §4.2.1) is not always the bytes as sent.
import t from 'tap'
import { newRequestTarget, readRequestTarget, requestPath, type RequestTarget } from '../src/request-target.js'
import { Upgrader } from '../src/upgrader.js'

const ascii = (s: string) => Uint8Array.from(s, (c) => c.charCodeAt(0))

/** The parts readRequestTarget finds in `target`, as strings; null when it refuses the target. */
function parts(target: string): { absolute: boolean; authority: string; path: string; query: string | null } | null {
  const bytes = ascii(target)
  const out = newRequestTarget()
  if (!readRequestTarget(bytes, 0, bytes.length, out)) return null
  return {
    absolute: out.absolute,
    authority: target.slice(out.authorityStart, out.authorityEnd),
    path: target.slice(out.pathStart, out.pathEnd),
    query: out.queryStart === -1 ? null : target.slice(out.queryStart, out.queryEnd),
  }
}

t.test('the RFCs\' examples', async (t) => {
  // RFC 6455 §1.2 and §4.1: the handshake's request line.
  t.same(parts('/chat'), { absolute: false, authority: '', path: '/chat', query: null })
  // RFC 9112 §3.2.1: origin-form.
  t.same(parts('/where?q=now'), { absolute: false, authority: '', path: '/where', query: 'q=now' })
  t.equal(requestPath(ascii('/where?q=now')), '/where')
  // RFC 9112 §3.2.2: absolute-form.
  t.same(parts('http://www.example.org/pub/WWW/TheProject.html'),
    { absolute: true, authority: 'www.example.org', path: '/pub/WWW/TheProject.html', query: null })
  t.equal(requestPath(ascii('http://www.example.org/pub/WWW/TheProject.html')), '/pub/WWW/TheProject.html')
  // RFC 9112 §3.2.4: the absolute-form with no path, whose path is "/" (RFC 9110 §4.2.3).
  t.same(parts('http://www.example.org:8001'), { absolute: true, authority: 'www.example.org:8001', path: '', query: null })
  t.equal(requestPath(ascii('http://www.example.org:8001')), '/')
  // RFC 9112 §3.2.3 and §3.2.4: authority-form (CONNECT) and asterisk-form (OPTIONS) are no
  // WebSocket request's.
  t.equal(parts('www.example.com:80'), null)
  t.equal(requestPath(ascii('www.example.com:80')), null)
  t.equal(parts('*'), null)
  t.equal(requestPath(ascii('*')), null)
  // RFC 6455 §3: ws and wss URIs, as a proxy could forward them.
  t.equal(requestPath(ascii('ws://example.com/chat')), '/chat')
  t.equal(requestPath(ascii('wss://example.com:443/chat?room=1')), '/chat')
})

t.test('each form and scheme', async (t) => {
  const cases: [string, string | null][] = [
    ['/', '/'],
    ['/ws', '/ws'],
    ['/ws?x=1', '/ws'],
    ['/ws/', '/ws/'],
    ['//ws', '//ws'], // an absolute-path may start with an empty segment (RFC 3986 §3.3)
    ['/a/b/c;p=1', '/a/b/c;p=1'],
    ['http://host:8080/ws?x=1', '/ws'],
    ['https://host/ws', '/ws'],
    ['ws://host/ws', '/ws'],
    ['wss://host/ws', '/ws'],
    ['HTTP://host/ws', '/ws'],
    ['hTTpS://host/ws', '/ws'],
    ['WS://host/ws', '/ws'],
    ['WsS://host/ws', '/ws'],
    ['http://host', '/'],
    ['http://host/', '/'],
    ['http://host:8080', '/'],
    ['http://host:/ws', '/ws'], // an empty port (RFC 3986 §3.2.3)
    ['http://h?x', '/'],
    ['http://h:1?x', '/'],
    ['http://127.0.0.1:8080/ws', '/ws'],
    ['http://[::1]:8080/ws', '/ws'],
    ['http://[::1]/ws', '/ws'],
    ['http://[2001:db8::7]', '/'],
    ['http://[::ffff:192.0.2.1]:80/', '/'],
    ['http://ex-ample.com_~.:80/', '/'],
    ['http://a!$&\'()*+,;=b/', '/'], // sub-delims in a reg-name
    ['http://%65xample.com/', '/'], // a percent-encoded host
  ]
  for (const [target, path] of cases) t.equal(requestPath(ascii(target)), path, target)
})

t.test('the query: after the first "?", "?" and "/" included, empty or absent', async (t) => {
  t.same(parts('/ws?'), { absolute: false, authority: '', path: '/ws', query: '' })
  t.same(parts('/ws?a=1?b=/c'), { absolute: false, authority: '', path: '/ws', query: 'a=1?b=/c' })
  t.same(parts('http://h?x'), { absolute: true, authority: 'h', path: '', query: 'x' })
  t.same(parts('http://h:80/ws?x=1&y=2'), { absolute: true, authority: 'h:80', path: '/ws', query: 'x=1&y=2' })
  t.same(parts('http://[::1]:8080/ws?q'), { absolute: true, authority: '[::1]:8080', path: '/ws', query: 'q' })
})

t.test('percent-encoding is left as it is, and the path\'s and query\'s other bytes are not judged', async (t) => {
  t.equal(requestPath(ascii('/a%20b')), '/a%20b')
  t.equal(requestPath(ascii('/%2Fws')), '/%2Fws', 'an encoded slash stays one byte sequence, not a separator')
  t.equal(requestPath(ascii('http://h/caf%C3%A9?q=%26')), '/caf%C3%A9')
  // Browsers send these as they are in paths and queries (the WHATWG URL standard), so they
  // pass; only the authority, which names the server, is held to RFC 3986's grammar.
  t.equal(requestPath(ascii('/a|b{c}[d]^e`f\\g"h<i>%zz')), '/a|b{c}[d]^e`f\\g"h<i>%zz')
  t.same(parts('/ws?x={"a":[1]}'), { absolute: false, authority: '', path: '/ws', query: 'x={"a":[1]}' })
})

t.test('what is not a WebSocket request-target is refused (a 400 for the caller)', async (t) => {
  const refused = [
    '', // empty
    '*', // asterisk-form (RFC 9112 §3.2.4)
    'example.com:443', // authority-form (RFC 9112 §3.2.3)
    'localhost:8080',
    'ws:80', // authority-form whose host looks like a scheme
    'ws', // neither a path nor a URI
    'ws/chat',
    '?x=1', // a query without a path
    '/ws#frag', // a fragment (RFC 6455 §3, RFC 9112 §3.2)
    '#',
    'http://h/ws#top',
    '/w s', // whitespace
    '/ws\t',
    '/\x00',
    '/\x7f',
    '/caf\xe9', // not ASCII
    'ftp://host/ws', // a scheme other than http(s) and ws(s)
    'file:///ws',
    'mailto:a@b',
    'http:/ws', // no authority
    'http:ws',
    'http:',
    'http:/',
    'http://', // an empty host (RFC 9110 §4.2.1)
    'http:///ws',
    'http://?x',
    'http://:80/ws',
    'http://user@host/ws', // userinfo (RFC 9110 §4.2.4)
    'http://user:pass@host:80/ws',
    'http://@host/ws',
    'http://host:80@evil.example/ws',
    'http://host:8o/ws', // a port that is not digits
    'http://host:80:81/ws',
    'http://ho^st/ws', // not a reg-name character
    'http://ho%zzst/', // broken percent-encoding in the host
    'http://ho%2/',
    'http://ho%',
    'http://[::1/ws', // an unclosed IP literal
    'http://[]/ws',
    'http://[:]/ws',
    'http://[g::1]/',
    'http://[v1.x]/', // IPvFuture: no WebSocket server has one
    'http://[::1]x/ws',
    'http://[::1]:8o/ws',
    'http://a[::1]/',
    '1http://host/ws', // a scheme starts with a letter
    'https+x://host/ws',
  ]
  for (const target of refused) {
    t.equal(parts(target), null, JSON.stringify(target))
    t.equal(requestPath(ascii(target)), null, JSON.stringify(target))
  }
})

t.test('offsets: a target inside a larger buffer, split as the caller likes', async (t) => {
  const line = ascii('GET http://127.0.0.1:8080/ws?x=1 HTTP/1.1\r\n')
  const start = 4
  const end = line.indexOf(0x20, start)
  const out = newRequestTarget()
  t.ok(readRequestTarget(line, start, end, out))
  const at = (from: number, to: number) => String.fromCharCode(...line.subarray(from, to))
  t.equal(out.absolute, true)
  t.equal(at(out.authorityStart, out.authorityEnd), '127.0.0.1:8080')
  t.equal(at(out.pathStart, out.pathEnd), '/ws')
  t.equal(at(out.queryStart, out.queryEnd), 'x=1')
  t.equal(out.queryEnd, end, 'offsets index the caller\'s bytes, not the slice')
  t.equal(requestPath(line, start, end), '/ws')
  // The same buffer, the target cut short: the bytes beyond `end` are not read.
  t.equal(requestPath(line, start, start + 'http://127.0.0.1:8080'.length), '/')
  t.equal(requestPath(line, start, start + 'http://127.0.0.1:8080/w'.length), '/w')
  // A colon, a "]" or a "?" beyond `end` is not the target's.
  t.equal(requestPath(ascii('abc:'), 0, 3), null)
  t.equal(requestPath(ascii('http://[::1]/'), 0, 10), null)
  t.equal(requestPath(ascii('/ws?x'), 0, 3), '/ws')
  // An empty or reversed range is no target.
  t.notOk(readRequestTarget(line, start, start, out))
  t.notOk(readRequestTarget(line, end, start, out))
  // The whole line is no target: it holds spaces.
  t.equal(requestPath(line), null)

  // The reused object is overwritten whole: an origin-form after an absolute-form.
  const origin = ascii('xx/ws yy')
  t.ok(readRequestTarget(origin, 2, 5, out))
  const expected: RequestTarget = { absolute: false, authorityStart: 2, authorityEnd: 2, pathStart: 2, pathEnd: 5, queryStart: -1, queryEnd: -1 }
  t.same(out, expected)
  t.same(newRequestTarget(), { absolute: false, authorityStart: 0, authorityEnd: 0, pathStart: 0, pathEnd: 0, queryStart: -1, queryEnd: -1 })
})

t.test('the bytes are only read: a view from Upgrader\'s onRequest, before and after', async (t) => {
  const paths: (string | null)[] = []
  const upgrader = new Upgrader({ onRequest: (uri) => void paths.push(requestPath(uri)) })
  for (const target of ['/ws?x=1', 'http://127.0.0.1:8080/ws', 'WSS://[::1]:443?x', '*', 'example.com:80']) {
    const request = ascii(`GET ${target} HTTP/1.1\r\nHost: example.com\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n` +
      'Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\nSec-WebSocket-Version: 13\r\n\r\n')
    const copy = request.slice()
    t.equal(upgrader.upgrade(request).kind, 'accepted', target)
    t.same(request, copy, 'not written to')
  }
  t.same(paths, ['/ws', '/ws', '/', null, null])
})
