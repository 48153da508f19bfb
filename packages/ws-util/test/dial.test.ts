import { execFileSync } from 'node:child_process'
import { once } from 'node:events'
import { mkdtempSync, readFileSync, rmSync } from 'node:fs'
import { createServer as createHttpsServer } from 'node:https'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import t, { type Test } from 'tap'
import { WebSocketServer } from 'ws'
import { acceptKey, compileFrame, HandshakeError, maskFrame, newHeader, newTextFrame, readHeader } from '@ws-toolkit/ws-core'
import { dial, dialTarget, HandshakeTimeoutError } from '../src/index.js'
import { listen } from './helpers.js'

/** A ws server on loopback that echoes, chooses the second protocol offered and records requests. */
async function wsServer(t: Test, options: ConstructorParameters<typeof WebSocketServer>[0] = {}) {
  const server = new WebSocketServer({
    host: '127.0.0.1', port: 0, handleProtocols: (protocols) => [...protocols][1] ?? false, ...options,
  })
  server.on('connection', (ws) => ws.on('message', (data, isBinary) => ws.send(data, { binary: isBinary })))
  await once(server, 'listening')
  t.teardown(() => server.close())
  return server
}

/** readText reads one unmasked text frame from `bytes` (server to client). */
function readText(bytes: Uint8Array): string {
  const header = newHeader()
  const size = readHeader(bytes, 0, header)
  return Buffer.from(bytes.subarray(size, size + header.length)).toString()
}

t.test('dial a ws server: subprotocol chosen, a message echoed', async (t) => {
  const server = await wsServer(t)
  const port = (server.address() as { port: number }).port
  const dialed = await dial(`ws://127.0.0.1:${port}/`, { protocols: ['a', 'b'], proxy: null })
  t.equal(dialed.socket.remotePort, port, 'proxy: null is a direct connection')
  t.equal(dialed.protocol, 'b')
  t.ok(dialed.headers.some(([name]) => name === 'sec-websocket-accept'))
  dialed.socket.write(compileFrame(maskFrame(newTextFrame('ping me'))))
  const reply = once(dialed.socket, 'data')
  dialed.socket.resume()
  t.equal(readText(((await reply) as [Buffer])[0]), 'ping me')
  dialed.socket.destroy()
})

t.test('the request carries path, query and extra headers', async (t) => {
  const server = await wsServer(t)
  const port = (server.address() as { port: number }).port
  const seen = new Promise<[string | undefined, string | undefined]>((resolve) =>
    server.once('connection', (_ws, req) => resolve([req.url, req.headers['x-trace'] as string | undefined])))
  const dialed = await dial(new URL(`ws://127.0.0.1:${port}/path?q=1`), { headers: [['X-Trace', '42']] })
  t.same(await seen, ['/path?q=1', '42'])
  dialed.socket.destroy()
})

t.test('a refusing server: HandshakeError with status and headers', async (t) => {
  const server = await wsServer(t, { verifyClient: (_info, done) => done(false, 403, 'Forbidden', { 'X-Reason': 'nope' }) })
  const port = (server.address() as { port: number }).port
  const error = await dial(`ws://127.0.0.1:${port}/`).catch((e) => e)
  t.ok(error instanceof HandshakeError)
  t.equal(error.status, 403)
  t.ok(error.headers.some(([name, value]: [string, string]) => name === 'x-reason' && value === 'nope'))
})

t.test('a server that chooses a protocol we did not offer is refused', async (t) => {
  const server = await wsServer(t, { handleProtocols: () => 'z' })
  const port = (server.address() as { port: number }).port
  const error = await dial(`ws://127.0.0.1:${port}/`, { protocols: ['a', 'b'] }).catch((e) => e)
  t.ok(error instanceof HandshakeError)
  t.match(error.message, /not offered: z/)
})

t.test('wss:// with SNI and a custom CA, against ws over node:https', async (t) => {
  const dir = mkdtempSync(join(tmpdir(), 'ws-util-tls-'))
  t.teardown(() => rmSync(dir, { recursive: true, force: true }))
  execFileSync('openssl', ['req', '-x509', '-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:prime256v1', '-nodes', '-days', '1',
    '-subj', '/CN=localhost', '-addext', 'subjectAltName=DNS:localhost', '-keyout', join(dir, 'key.pem'), '-out', join(dir, 'cert.pem')], { stdio: 'ignore' })
  const cert = readFileSync(join(dir, 'cert.pem'))
  const https = createHttpsServer({ cert, key: readFileSync(join(dir, 'key.pem')) })
  let servername: string | undefined
  https.on('secureConnection', (socket) => (servername = (socket as unknown as { servername?: string }).servername))
  const server = new WebSocketServer({ server: https })
  server.on('connection', (ws) => ws.on('message', (data) => ws.send(data)))
  https.listen(0, '127.0.0.1')
  await once(https, 'listening')
  t.teardown(() => https.close())
  const port = (https.address() as { port: number }).port
  // "localhost" resolves to loopback; the certificate is for that name.
  const dialed = await dial(`wss://localhost:${port}/`, { tls: { ca: cert } })
  t.equal(servername, 'localhost', 'SNI carries the host name')
  dialed.socket.write(compileFrame(maskFrame(newTextFrame('secure'))))
  const reply = once(dialed.socket, 'data')
  dialed.socket.resume()
  t.equal(readText(((await reply) as [Buffer])[0]), 'secure')
  dialed.socket.destroy()
  const untrusted = await dial(`wss://localhost:${port}/`).catch((e) => e)
  t.match(untrusted, { code: /SELF_SIGNED|UNABLE_TO_VERIFY/ }, 'without the CA the certificate is refused')
  const byIp = await dial(`wss://127.0.0.1:${port}/`, { tls: { ca: cert, servername: 'localhost' } })
  t.equal(servername, 'localhost', 'a caller-set servername is kept for an IP address')
  byIp.socket.destroy()
})

t.test('IPv6 loopback', async (t) => {
  const server = new WebSocketServer({ host: '::1', port: 0 })
  await once(server, 'listening')
  t.teardown(() => server.close())
  const port = (server.address() as { port: number }).port
  const dialed = await dial(`ws://[::1]:${port}/`)
  t.equal(dialed.socket.remoteAddress, '::1')
  dialed.socket.destroy()
})

t.test('timeouts, aborts, refused connections and bad URLs', async (t) => {
  const silent = await listen(t, () => {})
  const timeout = await dial(`ws://127.0.0.1:${silent.port}/`, { timeoutMs: 100 }).catch((e) => e)
  t.ok(timeout instanceof HandshakeTimeoutError)
  const controller = new AbortController()
  const pending = dial(`ws://127.0.0.1:${silent.port}/`, { signal: controller.signal, timeoutMs: 0 })
  controller.abort(new Error('stop'))
  t.match(await pending.catch((e) => e), { message: 'stop' })
  const unused = await listen(t, () => {})
  await new Promise((r) => unused.server.close(r))
  t.match(await dial(`ws://127.0.0.1:${unused.port}/`).catch((e) => e), { code: 'ECONNREFUSED' })
  await t.rejects(dial('http://127.0.0.1/'), TypeError)
  await t.rejects(dial('ws://127.0.0.1/#frag'), TypeError)
})

t.test('a response in two writes with a frame right behind it: the frame is in head', async (t) => {
  const { port } = await listen(t, (socket) => {
    socket.once('data', async (request: Buffer) => {
      const key = /Sec-WebSocket-Key: (\S+)/.exec(request.toString('latin1'))![1]
      const head = `HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\nConnection: Upgrade\r\nSec-WebSocket-Accept: ${acceptKey(key)}\r\n\r\n`
      socket.write(head.slice(0, 20))
      await new Promise((r) => setTimeout(r, 20))
      socket.write(Buffer.concat([Buffer.from(head.slice(20), 'latin1'), compileFrame(newTextFrame('first'))]))
    })
  })
  const dialed = await dial(`ws://127.0.0.1:${port}/`)
  t.equal(readText(dialed.head), 'first')
  dialed.socket.destroy()
})

t.test('dialTarget reads ws:// and wss:// URLs (RFC 6455 §3)', async (t) => {
  t.same(dialTarget('ws://example.com/chat?x=1'), { secure: false, hostname: 'example.com', port: 80, host: 'example.com', path: '/chat?x=1' })
  t.same(dialTarget('wss://example.com'), { secure: true, hostname: 'example.com', port: 443, host: 'example.com', path: '/' })
  t.same(dialTarget('wss://[::1]:8443/a'), { secure: true, hostname: '::1', port: 8443, host: '[::1]:8443', path: '/a' })
  t.same(dialTarget(new URL('ws://127.0.0.1:80/')), { secure: false, hostname: '127.0.0.1', port: 80, host: '127.0.0.1', path: '/' })
  t.throws(() => dialTarget('https://example.com/'), TypeError)
  t.throws(() => dialTarget('ws://example.com/#x'), TypeError)
})
