import { type ChildProcess, execFileSync, spawn } from 'node:child_process'
import { getEventListeners, once } from 'node:events'
import { existsSync, readFileSync, writeFileSync } from 'node:fs'
import { connect, createServer as createNetServer, type Server, type Socket } from 'node:net'
import { join } from 'node:path'
import { createServer as createTlsServer, type TLSSocket } from 'node:tls'
import t, { type Test } from 'tap'
import { compileFrame, HandshakeError, maskFrame, newHeader, newTextFrame, readHeader, Upgrader } from '@ws-toolkit/ws-core'
import { acceptSocket, BatchWriter, connectThroughProxy, destroyOnError, dial, HandshakeTimeoutError, ProxyError, proxyForUrl, readClientData } from '../src/index.js'
import { freePort, listen, tempDir } from './helpers.js'

const tinyproxyPath = '/usr/bin/tinyproxy'
const opensslPath = '/usr/bin/openssl'

/** started waits, at most 200 times 25 ms, for tinyproxy's log to say it accepts connections: false if it exits first. */
async function started(child: ChildProcess, log: string): Promise<boolean> {
  for (let i = 0; i < 200; i++) {
    if (child.exitCode !== null) return false
    if (existsSync(log) && readFileSync(log, 'utf8').includes('Accepting connections')) return true
    await new Promise((r) => setTimeout(r, 25))
  }
  throw new Error('tinyproxy did not start')
}

/**
 * tinyproxy starts Debian's tinyproxy in the foreground on a loopback port of its own, with a
 * configuration of its own in a temp dir (no ConnectPort lines: any port may be CONNECTed),
 * and stops it at teardown. `log()` reads its log file. The port is found free, then given to
 * tinyproxy: if another process takes it in between, tinyproxy exits (71) and a new port is
 * tried, three times at most; it counts as started only once its own log says so.
 */
async function tinyproxy(t: Test, extra: string[] = []) {
  for (let attempt = 0; attempt < 3; attempt++) {
    const dir = tempDir(t, 'ws-util-tinyproxy-')
    const port = await freePort()
    const conf = join(dir, 'tinyproxy.conf')
    const log = join(dir, 'tinyproxy.log')
    writeFileSync(conf, [
      `Port ${port}`, 'Listen 127.0.0.1', 'Allow 127.0.0.1', 'Timeout 30', 'MaxClients 20', 'LogLevel Info',
      `LogFile "${log}"`, `PidFile "${join(dir, 'tinyproxy.pid')}"`, ...extra, '',
    ].join('\n'))
    const child = spawn(tinyproxyPath, ['-d', '-c', conf], { stdio: 'ignore' })
    t.teardown(async () => {
      if (child.exitCode === null && child.signalCode === null) {
        child.kill()
        await once(child, 'exit')
      }
    })
    if (await started(child, log)) return { port, url: `http://127.0.0.1:${port}`, log: () => readFileSync(log, 'utf8') }
  }
  throw new Error('tinyproxy exited three times: no free port?')
}

/**
 * certificate makes a self-signed P-256 certificate for DNS:localhost and IP:::1 with openssl.
 * Deliberately not for 127.0.0.1, the proxy's address: a wss:// URL through the proxy must be
 * checked against the target's name, never the proxy's.
 */
function certificate(t: Test) {
  const dir = tempDir(t, 'ws-util-proxy-tls-')
  execFileSync(opensslPath, ['req', '-x509', '-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:prime256v1', '-nodes', '-days', '1',
    '-subj', '/CN=localhost', '-addext', 'subjectAltName=DNS:localhost,IP:::1',
    '-keyout', join(dir, 'key.pem'), '-out', join(dir, 'cert.pem')], { stdio: 'ignore' })
  return { cert: readFileSync(join(dir, 'cert.pem')), key: readFileSync(join(dir, 'key.pem')) }
}

/** What an echo server saw of a connection: the request head's exact bytes, its peer and SNI. */
interface Seen {
  request: string
  remoteAddress: string | undefined
  remotePort: number | undefined
  servername: string | false | null | undefined
}

/**
 * echoServer is a ws-util WebSocket server (acceptSocket, readClientData, BatchWriter) on a
 * `net` server, or a `tls` one when given a certificate, echoing every message; `seen`
 * resolves with what it saw of each connection, in order.
 */
async function echoServer(t: Test, host: string, tls?: { cert: Buffer; key: Buffer }) {
  const upgrader = new Upgrader()
  const seen: Promise<Seen>[] = []
  const sockets = new Set<Socket>()
  const onSocket = (socket: Socket) => {
    sockets.add(socket)
    socket.on('close', () => sockets.delete(socket))
    const chunks: Buffer[] = []
    const record = (chunk: Buffer) => {
      chunks.push(chunk)
      if (Buffer.concat(chunks).includes('\r\n\r\n')) socket.off('data', record)
    }
    socket.on('data', record)
    const outcome = acceptSocket(socket, upgrader).then(({ socket: accepted, head }) => {
      const writer = new BatchWriter(accepted, { side: 'server' })
      readClientData(accepted, head, { onMessage: (opCode, data) => void writer.writeMessage(opCode, data) }, { writer })
      return {
        request: Buffer.concat(chunks).toString('latin1'),
        remoteAddress: socket.remoteAddress,
        remotePort: socket.remotePort,
        servername: (socket as TLSSocket).servername,
      }
    })
    outcome.catch(() => {}) // a connection the client gives up on (the untrusted certificate) rejects
    seen.push(outcome)
  }
  const server: Server = tls ? createTlsServer(tls, onSocket) : createNetServer(onSocket)
  server.listen(0, host)
  await once(server, 'listening')
  t.teardown(() => {
    for (const socket of sockets) socket.destroy()
    server.close()
  })
  return { port: (server.address() as { port: number }).port, seen }
}

/** echo sends one masked text frame on a dialed socket and resolves with the text echoed. */
async function echo(socket: Socket | TLSSocket, text: string): Promise<string> {
  socket.write(compileFrame(maskFrame(newTextFrame(text))))
  const reply = once(socket, 'data')
  socket.resume()
  const bytes = ((await reply) as [Buffer])[0]
  const header = newHeader()
  const size = readHeader(bytes, 0, header)
  return bytes.subarray(size, size + header.length).toString()
}

/** expectedRequest is dial's request head for these options, with the key the server received. */
function expectedRequest(received: string, host: string, path: string): string {
  const key = /\r\nSec-WebSocket-Key: (\S+)\r\n/.exec(received)?.[1]
  return `GET ${path} HTTP/1.1\r\nHost: ${host}\r\nUpgrade: websocket\r\nConnection: Upgrade\r\nSec-WebSocket-Key: ${key}\r\n` +
    'Sec-WebSocket-Version: 13\r\nX-Trace: 42\r\n\r\n'
}

/**
 * tlsFront is an `https://` proxy made of tinyproxy and a TLS terminator (node:tls) in front of
 * it, as stunnel would be: each connection's bytes go to and from tinyproxy's port, and the SNI
 * each connection carried is kept in `servernames`.
 */
async function tlsFront(t: Test, host: string, proxyPort: number, tls: { cert: Buffer; key: Buffer }) {
  const servernames: (string | false | null | undefined)[] = []
  const sockets = new Set<Socket>()
  const server = createTlsServer(tls, (socket) => {
    servernames.push(socket.servername)
    sockets.add(socket)
    const upstream = connect(proxyPort, '127.0.0.1')
    for (const [one, other] of [[socket, upstream], [upstream, socket]]) {
      one.on('error', () => other.destroy())
      one.on('close', () => other.destroy())
    }
    socket.on('close', () => sockets.delete(socket))
    socket.pipe(upstream).pipe(socket)
  })
  server.listen(0, host)
  await once(server, 'listening')
  t.teardown(() => {
    for (const socket of sockets) socket.destroy()
    server.close()
  })
  return { port: (server.address() as { port: number }).port, servernames }
}

/**
 * rawProxy is a loopback server playing a proxy by hand: `answer` gets each connection's first
 * bytes (the CONNECT request, recorded in `requests`) and the socket; `closed` counts sockets
 * the client closed.
 */
async function rawProxy(t: Test, answer: (socket: Socket, request: string) => void) {
  const requests: string[] = []
  const closes: Promise<unknown>[] = []
  const sockets = new Set<Socket>()
  const { port } = await listen(t, (socket) => {
    sockets.add(socket)
    socket.on('error', () => {})
    closes.push(once(socket, 'close'))
    socket.once('data', (chunk) => {
      requests.push(chunk.toString('latin1'))
      answer(socket, chunk.toString('latin1'))
    })
  })
  t.teardown(() => {
    for (const socket of sockets) socket.destroy()
  })
  return { port, url: `http://127.0.0.1:${port}`, requests, closes }
}

t.test('ws:// through tinyproxy: the exact handshake reaches the server, whose peer is the proxy; echo works', async (t) => {
  const proxy = await tinyproxy(t)
  const server = await echoServer(t, '127.0.0.1')
  const dialed = await dial(`ws://127.0.0.1:${server.port}/chat?room=1`, { proxy: proxy.url, headers: [['X-Trace', '42']] })
  const seen = await server.seen[0]
  t.equal(seen.request, expectedRequest(seen.request, `127.0.0.1:${server.port}`, '/chat?room=1'), 'the request arrives as sent, nothing added')
  t.equal(dialed.socket.remotePort, proxy.port, 'the client is connected to the proxy')
  t.equal(seen.remoteAddress, '127.0.0.1')
  t.not(seen.remotePort, dialed.socket.localPort, "the server's peer is the proxy's socket, not the client's")
  t.equal(dialed.head.length, 0)
  t.same(getEventListeners(dialed.socket, 'error'), [destroyOnError], "handed over paused, destroyOnError its only listener of ours, once")
  t.ok(dialed.socket.isPaused())
  t.equal(await echo(dialed.socket, 'through the tunnel'), 'through the tunnel')
  t.match(proxy.log(), `CONNECT 127.0.0.1:${server.port} HTTP/1.1`)
  dialed.socket.destroy()
})

t.test('ws:// to an IPv6 target through tinyproxy: CONNECT [::1]:port (RFC 9110 §9.3.6)', async (t) => {
  const proxy = await tinyproxy(t)
  const server = await echoServer(t, '::1')
  const dialed = await dial(new URL(`ws://[::1]:${server.port}/`), { proxy: new URL(proxy.url), headers: [['X-Trace', '42']] })
  const seen = await server.seen[0]
  t.equal(seen.request, expectedRequest(seen.request, `[::1]:${server.port}`, '/'))
  t.equal(seen.remoteAddress, '::1', 'tinyproxy connected to the IPv6 target')
  t.equal(await echo(dialed.socket, 'v6'), 'v6')
  t.match(proxy.log(), `CONNECT [::1]:${server.port} HTTP/1.1`)
  dialed.socket.destroy()
})

t.test('wss:// through tinyproxy: TLS end to end inside the tunnel, SNI and identity are the target\'s', async (t) => {
  const proxy = await tinyproxy(t)
  const tls = certificate(t)
  const server = await echoServer(t, '127.0.0.1', tls)
  const dialed = await dial(`wss://localhost:${server.port}/secure`, { proxy: proxy.url, tls: { ca: tls.cert }, headers: [['X-Trace', '42']] })
  const seen = await server.seen[0]
  t.equal(seen.servername, 'localhost', 'SNI carries the target host')
  t.equal(seen.request, expectedRequest(seen.request, `localhost:${server.port}`, '/secure'))
  t.not(seen.remotePort, (dialed.socket as TLSSocket).localPort)
  t.equal(await echo(dialed.socket, 'secret'), 'secret')
  t.match(proxy.log(), `CONNECT localhost:${server.port} HTTP/1.1`)
  dialed.socket.destroy()

  // An IP target: no SNI, and the certificate checked against ::1 (it does not name 127.0.0.1, the proxy).
  const v6 = await echoServer(t, '::1', tls)
  const byIp = await dial(`wss://[::1]:${v6.port}/`, { proxy: proxy.url, tls: { ca: tls.cert }, headers: [['X-Trace', '42']] })
  t.equal((await v6.seen[0]).servername, false, 'no SNI for an IP address')
  t.equal(await echo(byIp.socket, 'v6'), 'v6')
  byIp.socket.destroy()

  const untrusted = await dial(`wss://localhost:${server.port}/`, { proxy: proxy.url }).catch((e) => e)
  t.match(untrusted, { code: /SELF_SIGNED|UNABLE_TO_VERIFY/ }, 'without the CA the certificate is refused inside the tunnel')
})

t.test('tinyproxy with BasicAuth: credentials from the URL, percent-decoded; wrong or none is a 407', async (t) => {
  // tinyproxy's configuration takes only [A-Za-z0-9._-] here; UTF-8 and colons: the next tests' raw proxy.
  const proxy = await tinyproxy(t, ['BasicAuth alice se-cr.et_1'])
  const server = await echoServer(t, '127.0.0.1')
  const target = `ws://127.0.0.1:${server.port}/`
  const authed = `http://%61lice:se%2Dcr.et_1@127.0.0.1:${proxy.port}/`
  const dialed = await dial(target, { proxy: authed })
  t.equal(await echo(dialed.socket, 'let in'), 'let in')
  dialed.socket.destroy()
  const none = await dial(target, { proxy: proxy.url }).catch((e) => e)
  t.ok(none instanceof ProxyError)
  t.match(none, { code: 'WS_PROXY_AUTH_REQUIRED', status: 407, name: 'ProxyError' }, 'no credentials: 407')
  t.ok(none.headers.some(([name, value]: [string, string]) => name === 'proxy-authenticate' && /^Basic/.test(value)))
  // tinyproxy 1.11 answers wrong credentials with 401 and WWW-Authenticate: the same code.
  const wrong = await dial(target, { proxy: `http://alice:wrong@127.0.0.1:${proxy.port}` }).catch((e) => e)
  t.match(wrong, { code: 'WS_PROXY_AUTH_REQUIRED', status: 401, name: 'ProxyError' }, 'wrong credentials')
  const undecoded = await dial(target, { proxy: `http://alice:se%252Dcr.et_1@127.0.0.1:${proxy.port}` }).catch((e) => e)
  t.match(undecoded, { code: 'WS_PROXY_AUTH_REQUIRED' }, 'decoded once, not twice')
})

t.test('an https:// proxy (TLS in front of tinyproxy): ws://, and wss:// as TLS inside TLS; credentials only inside TLS', async (t) => {
  const proxy = await tinyproxy(t, ['BasicAuth alice se-cr.et_1'])
  const tls = certificate(t)
  const front = await tlsFront(t, '127.0.0.1', proxy.port, tls)
  const server = await echoServer(t, '127.0.0.1')
  const plain = await dial(`ws://127.0.0.1:${server.port}/`, { proxy: `https://alice:se-cr.et_1@localhost:${front.port}`, proxyTls: { ca: tls.cert } })
  t.equal(front.servernames[0], 'localhost', "SNI to the proxy carries the proxy's name")
  t.equal(await echo(plain.socket, 'TLS to the proxy'), 'TLS to the proxy')
  t.match(proxy.log(), `CONNECT 127.0.0.1:${server.port} HTTP/1.1`)
  plain.socket.destroy()

  // The proxy at ::1 (no SNI to it; its certificate checked against ::1), the target's TLS inside.
  const front6 = await tlsFront(t, '::1', proxy.port, tls)
  const secure = await echoServer(t, '127.0.0.1', tls)
  const nested = await dial(`wss://localhost:${secure.port}/`, {
    proxy: `https://alice:se-cr.et_1@[::1]:${front6.port}`, proxyTls: { ca: tls.cert }, tls: { ca: tls.cert }, headers: [['X-Trace', '42']],
  })
  t.equal(front6.servernames[0], false, 'no SNI for a proxy at an IP address')
  const seen = await secure.seen[0]
  t.equal(seen.servername, 'localhost', "the target's SNI, inside the tunnel")
  t.equal(seen.request, expectedRequest(seen.request, `localhost:${secure.port}`, '/'))
  t.equal(await echo(nested.socket, 'TLS inside TLS'), 'TLS inside TLS')
  nested.socket.destroy()

  const untrusted = await dial(`ws://127.0.0.1:${server.port}/`, { proxy: `https://localhost:${front.port}` }).catch((e) => e)
  t.match(untrusted, { code: /SELF_SIGNED|UNABLE_TO_VERIFY/ }, "without proxyTls's CA the proxy's certificate is refused")
})

t.test('tinyproxy cannot reach the target: ProxyError with its 500 and headers, the body not read', async (t) => {
  const proxy = await tinyproxy(t)
  const unused = await freePort()
  const error = await dial(`ws://127.0.0.1:${unused}/`, { proxy: proxy.url }).catch((e) => e)
  t.ok(error instanceof ProxyError)
  t.match(error, { code: 'WS_PROXY_REFUSED', status: 500, message: /Unable to connect/ })
  t.ok(error.headers.some(([name, value]: [string, string]) => name === 'server' && value.startsWith('tinyproxy')))
})

t.test('the CONNECT request, byte for byte; interim 1xx skipped; the tunnel carries the handshake', async (t) => {
  const server = await echoServer(t, '127.0.0.1')
  const proxy = await rawProxy(t, (socket, request) => {
    const [, host, port] = /^CONNECT (\S+):(\d+) /.exec(request)!
    const upstream = connect(Number(port), host)
    upstream.on('error', () => socket.destroy())
    socket.on('close', () => upstream.destroy())
    upstream.once('connect', () => {
      // The answer in pieces, a pause between them: readHead parses what came so far, then more.
      socket.write('HTTP/1.1 100 Continue\r\n\r\nHTTP/1.1 103 Early Hints\r\nLink: </x>\r\n\r\nHTTP/1.1 200 OK\r\n')
      setTimeout(() => {
        socket.write('Content-Length: 99\r\n\r\n')
        socket.pipe(upstream).pipe(socket)
      }, 20)
    })
  })
  const dialed = await dial(`ws://127.0.0.1:${server.port}/`, { proxy: `http://us%20er:p%C3%A4ss@127.0.0.1:${proxy.port}` })
  t.equal(proxy.requests[0], `CONNECT 127.0.0.1:${server.port} HTTP/1.1\r\nHost: 127.0.0.1:${server.port}\r\n` +
    `Proxy-Authorization: Basic ${Buffer.from('us er:päss').toString('base64')}\r\n\r\n`)
  t.equal(await echo(dialed.socket, 'hand-made tunnel'), 'hand-made tunnel')
  dialed.socket.destroy()
  const noPassword = await connectThroughProxy(`http://bob@127.0.0.1:${proxy.port}`, 'localhost', server.port)
  t.equal(proxy.requests[1], `CONNECT localhost:${server.port} HTTP/1.1\r\nHost: localhost:${server.port}\r\n` +
    `Proxy-Authorization: Basic ${Buffer.from('bob:').toString('base64')}\r\n\r\n`)
  t.ok(noPassword.isPaused(), 'the tunnel is handed over paused')
  noPassword.destroy()
})

t.test('a proxy that answers garbage or too much: ProxyError WS_PROXY_MALFORMED, the socket closed', async (t) => {
  const manyFields = Array.from({ length: 101 }, (_, i) => `X-${i}: y\r\n`).join('')
  const cases: [string, string | Buffer, RegExp, number][] = [
    ['not HTTP', 'SSH-2.0-OpenSSH_9.2\r\n', /other than an HTTP/, 0],
    ['a bare LF', 'HTTP/1.1 200 OK\nX: y\n\n', /other than an HTTP/, 0],
    ['a bad status line', 'HTTP/1.1 2000 OK\r\n\r\n', /malformed status line/, 0],
    ['a bad header line', 'HTTP/1.1 200 OK\r\nX y\r\n\r\n', /malformed header line/, 200],
    ['over 100 header fields', `HTTP/1.1 200 OK\r\n${manyFields}\r\n`, /too many header fields/, 0],
    ['a head over 16 KiB', `HTTP/1.1 200 OK\r\nX: ${'y'.repeat(16384)}\r\n\r\n`, /over 16384 bytes/, 0],
    ['bytes behind the 200', 'HTTP/1.1 200 Connection established\r\n\r\nhello', /5 bytes behind its 200/, 200],
  ]
  for (const [name, answer, message, status] of cases) {
    const proxy = await rawProxy(t, (socket) => socket.write(answer))
    const error = await dial('ws://127.0.0.1:9/', { proxy: proxy.url }).catch((e) => e)
    t.ok(error instanceof ProxyError, name)
    t.match(error, { code: 'WS_PROXY_MALFORMED', message, status }, name)
    await proxy.closes[0]
  }
  const switching = await rawProxy(t, (socket) => socket.write('HTTP/1.1 101 Switching Protocols\r\n\r\n'))
  t.match(await dial('ws://127.0.0.1:9/', { proxy: switching.url }).catch((e) => e), { code: 'WS_PROXY_REFUSED', status: 101 })
})

t.test('a 2xx, then the target refuses the WebSocket handshake: HandshakeError, the tunnel closed', async (t) => {
  const proxy = await rawProxy(t, (socket) => {
    socket.write('HTTP/1.0 200 Connection established\r\n\r\n')
    socket.once('data', () => socket.write('HTTP/1.1 403 Forbidden\r\nContent-Length: 0\r\n\r\n'))
  })
  const error = await dial('ws://example.test/', { proxy: proxy.url }).catch((e) => e)
  t.ok(error instanceof HandshakeError)
  t.equal(error.status, 403)
  await proxy.closes[0]
  t.match(proxy.requests[0], /^CONNECT example\.test:80 HTTP\/1\.1\r\n/, 'the name is resolved by the proxy, the default port is 80')
})

t.test('timeouts and aborts bound the whole dial; the proxy sees the socket closed', async (t) => {
  const mute = await rawProxy(t, () => {})
  const timeout = await dial('ws://127.0.0.1:9/', { proxy: mute.url, timeoutMs: 100 }).catch((e) => e)
  t.ok(timeout instanceof HandshakeTimeoutError, 'a proxy that never answers')
  t.match(timeout.message, /within 100 ms/)
  await mute.closes[0]

  // The proxy opens the tunnel, then nothing answers inside it: the timer covers TLS and the handshake too.
  const tunnelOnly = await rawProxy(t, (socket) => socket.write('HTTP/1.1 200 OK\r\n\r\n'))
  for (const url of ['ws://127.0.0.1:9/', 'wss://localhost:9/']) {
    const late = await dial(url, { proxy: tunnelOnly.url, timeoutMs: 100 }).catch((e) => e)
    t.ok(late instanceof HandshakeTimeoutError, url)
    await tunnelOnly.closes.at(-1)
  }

  const quiet = await rawProxy(t, () => {})
  const controller = new AbortController()
  const pending = dial('ws://127.0.0.1:9/', { proxy: quiet.url, signal: controller.signal, timeoutMs: 0 })
  // At most 1,000 turns of the event loop for the CONNECT to arrive.
  for (let i = 0; i < 1000 && quiet.requests.length === 0; i++) await new Promise((r) => setImmediate(r))
  t.match(quiet.requests[0], /^CONNECT 127\.0\.0\.1:9 /, 'the proxy got the CONNECT')
  controller.abort(new Error('stop'))
  t.match(await pending.catch((e) => e), { message: 'stop' }, 'aborted mid-CONNECT')
  await quiet.closes[0]

  const aborted = AbortSignal.abort(new Error('before'))
  t.match(await dial('ws://127.0.0.1:9/', { proxy: mute.url, signal: aborted }).catch((e) => e), { message: 'before' })

  const unused = await freePort()
  t.match(await dial('ws://127.0.0.1:9/', { proxy: `http://127.0.0.1:${unused}` }).catch((e) => e), { code: 'ECONNREFUSED' })
})

t.test('proxy URLs and targets that cannot be used are a TypeError', async (t) => {
  for (const proxy of ['ftp://127.0.0.1:1', 'socks5://127.0.0.1:1080', 'http://127.0.0.1:1/path', 'http://127.0.0.1:1/?q',
    'http://a%ZZ:b@127.0.0.1:1', 'http://a%3Ab:c@127.0.0.1:1', 'http://a:b%0A@127.0.0.1:1', 'not a url']) {
    await t.rejects(dial('ws://127.0.0.1:9/', { proxy }), TypeError, proxy)
  }
  // No port: 80 or 443, the scheme's default (signalled before connecting: nothing is dialed on port 80).
  const early = AbortSignal.abort(new Error('not dialed'))
  await t.rejects(connectThroughProxy('http://127.0.0.1', 'example.com', 443, { signal: early }), { message: 'not dialed' })
  await t.rejects(connectThroughProxy('https://127.0.0.1', 'example.com', 443, { signal: early }), { message: 'not dialed' })
  const withPath = await dial('ws://127.0.0.1:9/', { proxy: 'http://user:secret@127.0.0.1:1/path' }).catch((e) => e)
  t.match(withPath, { name: 'TypeError', message: /http:\/\/127\.0\.0\.1:1\/path/ })
  t.notMatch(withPath.message, /secret|user/, 'the message does not carry the credentials')
  await t.rejects(connectThroughProxy('http://127.0.0.1:1', 'evil\r\nX: y', 80), TypeError)
  await t.rejects(connectThroughProxy('http://127.0.0.1:1', 'example.com', 0), TypeError)
  await t.rejects(connectThroughProxy('http://127.0.0.1:1', 'example.com', 1.5), TypeError)
})

t.test('proxyForUrl: which variable, by scheme, as curl reads them', async (t) => {
  const env = { ws_proxy: 'http://ws:1', WS_PROXY: 'http://WS:1', http_proxy: 'http://h:1', HTTP_PROXY: 'http://H:1',
    wss_proxy: 'http://wss:1', WSS_PROXY: 'http://WSS:1', https_proxy: 'http://s:1', HTTPS_PROXY: 'http://S:1' }
  const without = (...names: string[]) => Object.fromEntries(Object.entries(env).filter(([name]) => !names.includes(name)))
  t.equal(proxyForUrl('ws://a/', env), 'http://ws:1')
  t.equal(proxyForUrl('ws://a/', without('ws_proxy')), 'http://WS:1')
  t.equal(proxyForUrl('ws://a/', without('ws_proxy', 'WS_PROXY')), 'http://h:1')
  t.equal(proxyForUrl('ws://a/', { HTTP_PROXY: 'http://H:1' }), null, 'never HTTP_PROXY (httpoxy)')
  t.equal(proxyForUrl('wss://a/', env), 'http://wss:1')
  t.equal(proxyForUrl('wss://a/', without('wss_proxy')), 'http://WSS:1')
  t.equal(proxyForUrl('wss://a/', without('wss_proxy', 'WSS_PROXY')), 'http://s:1')
  t.equal(proxyForUrl(new URL('wss://a/'), { HTTPS_PROXY: 'http://S:1' }), 'http://S:1')
  t.equal(proxyForUrl('wss://a/', { https_proxy: '  ', HTTPS_PROXY: 'http://S:1' }), 'http://S:1', 'empty counts as unset')
  t.equal(proxyForUrl('wss://a/', { https_proxy: 'proxy.example:3128' }), 'http://proxy.example:3128', 'no scheme: http://')
  t.equal(proxyForUrl('wss://a/', { all_proxy: 'http://all:1', ALL_PROXY: 'http://ALL:1' }), null, 'all_proxy is not read')
  t.equal(proxyForUrl('wss://a/', {}), null)
  const saved = process.env.wss_proxy
  process.env.wss_proxy = 'http://from-process-env:1'
  t.teardown(() => {
    if (saved === undefined) delete process.env.wss_proxy
    else process.env.wss_proxy = saved
  })
  t.equal(proxyForUrl('wss://a/'), 'http://from-process-env:1', 'process.env by default')
  t.throws(() => proxyForUrl('https://a/', env), TypeError)
})

t.test('proxyForUrl: no_proxy matching (a table)', async (t) => {
  // [url, no_proxy, proxied?]
  const table: [string, string, boolean][] = [
    ['ws://example.com/', '*', false],
    ['ws://example.com/', ' * ', false],
    ['ws://example.com/', 'other.org, *', false],
    ['ws://example.com/', 'example.com', false],
    ['ws://EXAMPLE.com/', 'Example.COM', false],
    ['ws://www.example.com/', 'example.com', false],
    ['ws://www.example.com/', '.example.com', false],
    ['ws://example.com/', '.example.com', false],
    ['ws://example.com./', 'example.com', false],
    ['ws://example.com/', 'example.com.', false],
    ['ws://notexample.com/', 'example.com', true],
    ['ws://example.com.evil/', 'example.com', true],
    ['ws://example.com/', 'www.example.com', true],
    ['ws://a.test/', 'x.test,,  a.test', false],
    ['ws://a.test/', 'x.test\ta.test', false],
    ['ws://a.test/', '', true],
    ['ws://a.test/', ',', true],
    ['ws://a.test/', '.', true],
    ['ws://a.test:8080/', 'a.test:8080', false],
    ['ws://a.test:8080/', 'a.test:8081', true],
    ['ws://a.test/', 'a.test:80', false],
    ['wss://a.test/', 'a.test:80', true],
    ['wss://a.test/', 'a.test:443', false],
    ['ws://xn--bcher-kva.example/', 'bücher.example', false],
    ['ws://127.0.0.1/', '127.0.0.1', false],
    ['ws://127.0.0.1/', '127.0.0.2', true],
    ['ws://127.0.0.1/', '0.0.1', true],
    ['ws://127.0.0.1/', 'localhost', true],
    ['ws://localhost/', '127.0.0.1', true],
    ['ws://127.0.0.1:8080/', '127.0.0.1:8080', false],
    ['ws://127.0.0.1:8080/', '127.0.0.1:9090', true],
    ['ws://10.1.2.3/', '10.0.0.0/8', false],
    ['ws://11.1.2.3/', '10.0.0.0/8', true],
    ['ws://10.1.2.3/', '10.0.0.0/33', true],
    ['ws://10.1.2.3/', '10.0.0.0/x', true],
    ['ws://10.1.2.3/', '::/0', true],
    ['ws://[::1]/', '::1', false],
    ['ws://[::1]/', '[::1]', false],
    ['ws://[::1]/', '0:0:0:0:0:0:0:1', false],
    ['ws://[::1]:8080/', '[::1]:8080', false],
    ['ws://[::1]:8080/', '[::1]:8081', true],
    ['ws://[fd00::5]/', 'fd00::/8', false],
    ['ws://[fe80::5]/', 'fd00::/8', true],
    ['ws://[fe80::5]/', 'fd00::/129', true],
    ['ws://[::1]/', '127.0.0.1', true],
  ]
  for (const [url, noProxy, proxied] of table) {
    t.equal(proxyForUrl(url, { ws_proxy: 'http://p:1', wss_proxy: 'http://p:1', no_proxy: noProxy }) !== null, proxied, `${url} with no_proxy=${JSON.stringify(noProxy)}`)
  }
  t.equal(proxyForUrl('ws://a.test/', { ws_proxy: 'http://p:1', NO_PROXY: 'a.test' }), null, 'NO_PROXY')
  t.equal(proxyForUrl('ws://a.test/', { ws_proxy: 'http://p:1', no_proxy: 'b.test', NO_PROXY: 'a.test' }), 'http://p:1', 'no_proxy wins')
})
