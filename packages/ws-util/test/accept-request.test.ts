// Accepted.request (issue 15): the path, query, remote address and chosen headers of the
// handshake's request, for acceptSocket on a net.Server and acceptHttpUpgrade on node:http,
// with the ws client and raw loopback sockets (for what ws does not send: the absolute-form,
// repeated fields) as peers.
import { once } from 'node:events'
import { createServer as createHttpServer } from 'node:http'
import { connect, createServer, type Socket } from 'node:net'
import t, { type Test } from 'tap'
import WebSocket from 'ws'
import { Upgrader } from '@ws-toolkit/ws-core'
import { acceptHttpUpgrade, acceptSocket, type Accepted, type RequestOptions } from '../src/index.js'

const upgrader = new Upgrader()

type Kind = 'net' | 'http'

/** serve starts a loopback server of `kind` that accepts every socket with `options` and hands each Accepted to `accepted`. */
async function serve(t: Test, kind: Kind, options: RequestOptions): Promise<{ port: number; next(): Promise<Accepted<Socket>> }> {
  const waiting: ((accepted: Accepted<Socket>) => void)[] = []
  const done = (accepted: Accepted<Socket>) => {
    t.teardown(() => accepted.socket.destroy())
    waiting.shift()!(accepted)
  }
  let server
  if (kind === 'net') {
    server = createServer((socket) => { acceptSocket(socket, upgrader, options).then(done, () => {}) })
  } else {
    server = createHttpServer()
    server.on('upgrade', (req, socket: Socket, head) => done(acceptHttpUpgrade(req, socket, head, upgrader, options)))
  }
  server.listen(0, '127.0.0.1')
  await once(server, 'listening')
  t.teardown(() => server.close())
  return {
    port: (server.address() as { port: number }).port,
    next: () => new Promise((resolve) => waiting.push(resolve)),
  }
}

/** rawRequest sends `target` and `extra` header lines on a raw loopback socket; returns the socket. */
async function rawRequest(t: Test, port: number, target: string, extra: string[]): Promise<Socket> {
  const client = connect(port, '127.0.0.1')
  await once(client, 'connect')
  t.teardown(() => client.destroy())
  client.write(`GET ${target} HTTP/1.1\r\nHost: 127.0.0.1:${port}\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n` +
    `Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\nSec-WebSocket-Version: 13\r\n${extra.map((line) => `${line}\r\n`).join('')}\r\n`)
  return client
}

const keepHeaders = ['Cookie', 'authorization', 'x-forwarded-for', 'host']

for (const kind of ['net', 'http'] as const) {
  t.test(`${kind}: the ws client's request: origin-form path and query, kept headers only`, async (t) => {
    const { port, next } = await serve(t, kind, { keepHeaders })
    const accepted = next()
    const ws = new WebSocket(`ws://127.0.0.1:${port}/chat/room%2F1?user=ann&x=%20`, {
      headers: { cookie: 'session=abc', authorization: 'Bearer t0k3n', 'x-not-kept': 'secret' },
    })
    t.teardown(() => ws.terminate())
    const { request, socket } = await accepted
    await once(ws, 'open')
    t.same(request, {
      path: '/chat/room%2F1',
      query: 'user=ann&x=%20',
      remoteAddress: '127.0.0.1',
      remotePort: socket.remotePort,
      headers: { cookie: 'session=abc', authorization: 'Bearer t0k3n', host: `127.0.0.1:${port}` },
    })
    t.equal(typeof request!.remotePort, 'number')
    t.equal(Object.getPrototypeOf(request!.headers), null)
    t.notOk('x-not-kept' in request!.headers, 'a header not asked for is not kept')
    t.notOk('x-forwarded-for' in request!.headers, 'a header asked for but absent is not there')
  })

  t.test(`${kind}: absolute-form targets, an empty and an absent query, repeated fields`, async (t) => {
    const { port, next } = await serve(t, kind, { keepHeaders })
    let accepted = next()
    let client = await rawRequest(t, port, `http://127.0.0.1:${port}/ws`, [
      'X-Forwarded-For: 203.0.113.7', 'Cookie: a=1', 'x-forwarded-for:  198.51.100.2  ', 'cookie: b=2',
      'Authorization: Bearer one', 'AUTHORIZATION: Bearer two', 'X-Other: 1', 'Cookix: as long as a kept name, not one',
    ])
    let { request } = await accepted
    t.same(request, {
      path: '/ws',
      query: null,
      remoteAddress: '127.0.0.1',
      remotePort: client.localPort,
      headers: {
        'x-forwarded-for': '203.0.113.7, 198.51.100.2',
        cookie: 'a=1; b=2',
        authorization: 'Bearer one, Bearer two',
        host: `127.0.0.1:${port}`,
      },
    })

    accepted = next()
    client = await rawRequest(t, port, `WS://127.0.0.1:${port}?room=2`, [])
    ;({ request } = await accepted)
    t.same({ path: request!.path, query: request!.query, headers: request!.headers }, { path: '/', query: 'room=2', headers: { host: `127.0.0.1:${port}` } })
    t.equal(request!.remotePort, client.localPort)

    accepted = next()
    await rawRequest(t, port, '/ws?', [])
    ;({ request } = await accepted)
    t.same({ path: request!.path, query: request!.query }, { path: '/ws', query: '' }, 'an empty query is not an absent one')
  })

  t.test(`${kind}: nothing is kept unless asked; keepRequest alone keeps no header`, async (t) => {
    const plain = await serve(t, kind, {})
    let accepted = plain.next()
    const ws = new WebSocket(`ws://127.0.0.1:${plain.port}/a?b`, { headers: { cookie: 'c=1' } })
    t.teardown(() => ws.terminate())
    t.equal((await accepted).request, null)

    const bare = await serve(t, kind, { keepRequest: true })
    accepted = bare.next()
    const ws2 = new WebSocket(`ws://127.0.0.1:${bare.port}/a?b`, { headers: { cookie: 'c=1' } })
    t.teardown(() => ws2.terminate())
    const { request } = await accepted
    t.same(request, { path: '/a', query: 'b', remoteAddress: '127.0.0.1', remotePort: request!.remotePort, headers: {} })
    await once(ws2, 'open')
  })
}

t.test('net: a target that is neither form has a null path; the Upgrader decides whether to accept it', async (t) => {
  const { port, next } = await serve(t, 'net', { keepRequest: true })
  const accepted = next()
  await rawRequest(t, port, 'ftp://127.0.0.1/ws', [])
  const { request } = await accepted
  t.equal(request!.path, null)
  t.equal(request!.query, null)
})

t.test('a keepHeaders name that is not a token throws before the socket is touched', async (t) => {
  const [a, b] = await socketPair(t)
  t.throws(() => acceptSocket(a, upgrader, { keepHeaders: ['x-ok', 'bad name'] }), TypeError)
  t.equal(a.listenerCount('data'), 0)
  t.notOk(a.destroyed)
  b.destroy()
})

t.test('a Duplex with no remote address has null ones', async (t) => {
  const { Duplex } = await import('node:stream')
  const written: Buffer[] = []
  const duplex = new Duplex({ read() {}, write(chunk, _encoding, callback) { written.push(chunk); callback() } })
  const accepted = acceptSocket(duplex, upgrader, { keepHeaders: ['host'] })
  duplex.push(Buffer.from('GET /x HTTP/1.1\r\nHost: h\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n' +
    'Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\nSec-WebSocket-Version: 13\r\n\r\n'))
  const { request } = await accepted
  t.same(request, { path: '/x', query: null, remoteAddress: null, remotePort: null, headers: { host: 'h' } })
  t.match(Buffer.concat(written).toString(), /^HTTP\/1\.1 101 /)
  duplex.destroy()
})

/** socketPair returns both ends of a loopback TCP connection. */
async function socketPair(t: Test): Promise<[Socket, Socket]> {
  const server = createServer()
  server.listen(0, '127.0.0.1')
  await once(server, 'listening')
  t.teardown(() => server.close())
  const accepted = once(server, 'connection') as Promise<[Socket]>
  const client = connect((server.address() as { port: number }).port, '127.0.0.1')
  const [serverSide] = await accepted
  t.teardown(() => { client.destroy(); serverSide.destroy() })
  return [serverSide, client]
}
