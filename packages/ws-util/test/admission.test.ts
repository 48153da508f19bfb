import { getEventListeners, once } from 'node:events'
import { createServer as createHttpServer, type IncomingMessage } from 'node:http'
import { connect, type Socket } from 'node:net'
import t, { type Test } from 'tap'
import WebSocket from 'ws'
import { HandshakeRejection, Upgrader } from '@ws-toolkit/ws-core'
import {
  type Accepted, acceptSocket, type Admission, type Admit, admitHttpUpgrade, defaultMaxEarlyBytes, HandshakeTimeoutError, SocketClosedError,
} from '../src/index.js'
import { ascii, collect, listen, sampleRequest, tick } from './helpers.js'

/** deferred is a promise with its settle functions. */
function deferred() {
  let resolve!: () => void
  let reject!: (error: unknown) => void
  const promise = new Promise<void>((yes, no) => {
    resolve = yes
    reject = no
  })
  return { promise, resolve, reject }
}

/** until polls (one I/O turn at a time, at most `turns` of them) until `done()` holds. */
async function until(done: () => boolean, turns = 5000): Promise<boolean> {
  for (let i = 0; i < turns && !done(); i++) await new Promise((r) => setTimeout(r, 1))
  return done()
}

/** counts of the handles of a kind this process holds (sockets, timers). */
const active = (kind: string) => process.getActiveResourcesInfo().filter((name) => name === kind).length

/** The events whose listeners an admission adds and must remove. */
const events = ['data', 'end', 'close', 'error'] as const
const listenerCounts = (socket: Socket) => events.map((name) => socket.listenerCount(name))

/**
 * admittingServer runs acceptSocket with `admit` on every connection; each outcome (and the
 * server socket, with its listener counts before the handshake) is recorded.
 */
async function admittingServer(t: Test, admit: Admit, options: Parameters<typeof acceptSocket>[2] = {}, upgrader = new Upgrader()) {
  const outcomes: { socket: Socket; before: number[]; result: Promise<Accepted<Socket>> }[] = []
  const { server, port } = await listen(t, (socket) => {
    const before = listenerCounts(socket)
    const result = acceptSocket(socket, upgrader, { ...options, admit })
    result.catch(() => {})
    outcomes.push({ socket, before, result })
  })
  const client = async (bytes: string | Uint8Array = sampleRequest) => {
    const socket = connect(port, '127.0.0.1')
    t.teardown(() => socket.destroy())
    // A server that gives up on a peer with unread bytes resets it: that is the test's answer, not a failure.
    socket.on('error', () => {})
    const received = collect(socket)
    await once(socket, 'connect')
    socket.write(typeof bytes === 'string' ? ascii(bytes) : bytes)
    return { socket, received }
  }
  return { server, port, outcomes, client }
}

/** A masked binary frame of `length` bytes (RFC 6455 §5.2), its payload `fill`. */
function clientFrame(length: number, fill: number): Buffer {
  const header = length < 126 ? Buffer.from([0x82, 0x80 | length]) : Buffer.from([0x82, 0x80 | 126, length >> 8, length & 0xff])
  // A zero mask leaves the payload as is (RFC 6455 §5.3): the bytes are easy to check.
  return Buffer.concat([header, Buffer.alloc(4), Buffer.alloc(length, fill)])
}

t.test('a hook that returns at once: the 101 goes out in the same turn, and the request is kept without keepRequest', async (t) => {
  const seen: Admission[] = []
  const { outcomes, client } = await admittingServer(t, (admission) => {
    seen.push(admission)
  })
  const { socket } = await client(`${sampleRequest.replace('/chat', '/chat?room=7')}`)
  const [data] = await once(socket, 'data')
  t.match(String(data), /^HTTP\/1\.1 101 /)
  const accepted = await outcomes[0].result
  t.equal(seen.length, 1)
  t.equal(seen[0].request, accepted.request, 'the hook saw the connection\'s own request')
  t.same({ path: accepted.request?.path, query: accepted.request?.query, address: accepted.request?.remoteAddress }, { path: '/chat', query: 'room=7', address: '127.0.0.1' })
  t.equal(seen[0].signal.aborted, false)
})

t.test('an async hook that admits: the 101 waits for it, and frames sent meanwhile are all in head, in order', async (t) => {
  const gate = deferred()
  let called = 0
  const { outcomes, client } = await admittingServer(t, async (admission) => {
    called++
    t.equal(admission.protocol, null)
    await gate.promise
  })
  const first = clientFrame(5, 1)
  const { socket, received } = await client(Buffer.concat([ascii(sampleRequest), first]))
  await until(() => called === 1)
  const second = clientFrame(300, 2)
  socket.write(second)
  // Nothing is answered while the hook runs: the peer waits (and its frames are read and kept).
  await until(() => outcomes.length === 1 && outcomes[0].socket.bytesRead >= sampleRequest.length + first.length + second.length)
  t.equal(socket.bytesRead, 0, 'no response before the hook settles')
  gate.resolve()
  const accepted = await outcomes[0].result
  t.same(Buffer.from(accepted.head), Buffer.concat([first, second]), 'early bytes kept whole, in order')
  t.equal(accepted.socket.isPaused(), true, 'handed over paused')
  t.same(listenerCounts(accepted.socket), [outcomes[0].before[0], outcomes[0].before[1], outcomes[0].before[2], outcomes[0].before[3] + 1], 'only destroyOnError is left')
  socket.end()
  t.match(String(await received), /^HTTP\/1\.1 101 Switching Protocols\r\n/)
})

t.test('an async hook that refuses with a HandshakeRejection: its status, fields and body, and the socket closed', async (t) => {
  const rejection = new HandshakeRejection(401, 'token expired', [['WWW-Authenticate', 'Bearer']])
  const { outcomes, client } = await admittingServer(t, async () => {
    await tick()
    throw rejection
  })
  const { received } = await client()
  t.equal(String(await received),
    'HTTP/1.1 401 Unauthorized\r\nWWW-Authenticate: Bearer\r\nConnection: close\r\nContent-Type: text/plain; charset=utf-8\r\nContent-Length: 13\r\n\r\ntoken expired')
  await t.rejects(outcomes[0].result, rejection)
})

t.test('a hook that fails otherwise (sync or async) answers 500 and the caller gets its error', async (t) => {
  for (const [name, admit] of [
    ['throws', () => {
      throw new Error('store down')
    }],
    ['rejects', async () => {
      throw new Error('store down')
    }],
  ] as const) {
    const { outcomes, client } = await admittingServer(t, admit)
    const { received } = await client()
    t.match(String(await received), /^HTTP\/1\.1 500 Internal Server Error\r\n[^]*\r\n\r\nadmission check failed$/, name)
    await t.rejects(outcomes[0].result, { message: 'store down' }, name)
  }
})

t.test('a rejection whose header fields cannot be written destroys the socket and reports the TypeError', async (t) => {
  for (const admit of [
    () => {
      throw new HandshakeRejection(403, 'no', [['Content-Length', '0']])
    },
    async () => {
      throw new HandshakeRejection(403, 'no', [['X-A', 'a\r\nX-B: b']])
    },
  ]) {
    const { outcomes, client } = await admittingServer(t, admit)
    const { received } = await client()
    t.equal((await received).length, 0, 'nothing written')
    await t.rejects(outcomes[0].result, TypeError)
  }
})

t.test('the Upgrader refuses first: the hook never runs', async (t) => {
  let called = false
  const { outcomes, client } = await admittingServer(t, () => {
    called = true
  })
  const { received } = await client(sampleRequest.replace('Sec-WebSocket-Version: 13', 'Sec-WebSocket-Version: 8'))
  t.match(String(await received), /^HTTP\/1\.1 426 /)
  await t.rejects(outcomes[0].result, HandshakeRejection)
  t.equal(called, false)
})

t.test('a peer that leaves while the hook runs: socket destroyed, signal aborted, the late verdict ignored', async (t) => {
  const gate = deferred()
  const seen: Admission[] = []
  const { outcomes, client } = await admittingServer(t, async (admission) => {
    seen.push(admission)
    await gate.promise
  })
  const { socket } = await client(Buffer.concat([ascii(sampleRequest), clientFrame(3, 9)]))
  await until(() => seen.length === 1)
  socket.end()
  const error = await outcomes[0].result.catch((e: unknown) => e)
  t.type(error, SocketClosedError)
  t.equal((error as SocketClosedError).received, sampleRequest.length + 9, 'the request and the early frame')
  t.equal(seen[0].signal.aborted, true)
  t.equal(seen[0].signal.reason, error, 'the hook\'s signal carries the same reason')
  t.equal(outcomes[0].socket.destroyed, true)
  gate.reject(new HandshakeRejection(403, 'too late'))
  await tick()
  t.equal(outcomes[0].socket.bytesWritten, 0, 'no refusal written after the peer left')
})

t.test('the handshake deadline covers the hook: timeout, socket destroyed, nothing answered', async (t) => {
  const seen: Admission[] = []
  const { outcomes, client } = await admittingServer(t, (admission) => {
    seen.push(admission)
    return new Promise(() => {})
  }, { timeoutMs: 50 })
  const { received } = await client()
  t.equal((await received).length, 0, 'closed without a response')
  const error = await outcomes[0].result.catch((e: unknown) => e)
  t.type(error, HandshakeTimeoutError)
  t.equal(seen[0].signal.reason, error)
})

t.test('the caller\'s abort signal covers the hook, even when it aborts inside the hook', async (t) => {
  const controller = new AbortController()
  const seen: Admission[] = []
  const { outcomes, client } = await admittingServer(t, (admission) => {
    seen.push(admission)
    return new Promise(() => {})
  }, { signal: controller.signal, timeoutMs: 0 })
  await client()
  await until(() => seen.length === 1)
  controller.abort(new Error('shutting down'))
  await t.rejects(outcomes[0].result, { message: 'shutting down' })
  t.equal(seen[0].signal.reason, controller.signal.reason, 'passed on to the hook')
  t.equal(getEventListeners(controller.signal, 'abort').length, 0, 'no abort listener left')

  const inner = new AbortController()
  const second = await admittingServer(t, () => {
    inner.abort(new Error('aborted during the hook'))
    return new Promise(() => {})
  }, { signal: inner.signal })
  await second.client()
  await until(() => second.outcomes.length === 1)
  await t.rejects(second.outcomes[0].result, { message: 'aborted during the hook' })
  t.equal(second.outcomes[0].socket.destroyed, true)
})

t.test('maxEarlyBytes: reading stops at the bound while the hook runs, and nothing is lost', async (t) => {
  t.equal(defaultMaxEarlyBytes, 65536)
  const gate = deferred()
  let called = false
  const { outcomes, client } = await admittingServer(t, async () => {
    called = true
    await gate.promise
  }, { maxEarlyBytes: 1024 })
  const frames = Buffer.concat(Array.from({ length: 64 }, (_, i) => clientFrame(4000, i)))
  const { socket } = await client()
  await until(() => called)
  socket.write(frames)
  await until(() => outcomes[0].socket.bytesRead >= sampleRequest.length + 1024)
  await tick()
  t.equal(outcomes[0].socket.isPaused(), true, 'paused at the bound')
  t.ok(outcomes[0].socket.bytesRead < sampleRequest.length + frames.length, 'the rest waits in TCP')
  gate.resolve()
  const accepted = await outcomes[0].result
  const rest: Buffer[] = [Buffer.from(accepted.head)]
  let length = accepted.head.length
  accepted.socket.on('data', (chunk: Buffer) => {
    rest.push(chunk)
    length += chunk.length
  })
  accepted.socket.resume()
  await until(() => length >= frames.length)
  t.ok(Buffer.concat(rest).equals(frames), 'every byte, in order')
})

/**
 * abandonAll runs `count` raw clients, 100 at a time: each sends its request, and once the
 * hook runs for all of the batch, each leaves by `leave` (given its index).
 */
async function abandonAll(client: (bytes?: string) => Promise<{ socket: Socket }>, count: number, admitted: () => number, leave: (socket: Socket, index: number) => void) {
  for (let done = 0; done < count; done += 100) {
    const batch = await Promise.all(Array.from({ length: 100 }, () => client()))
    await until(() => admitted() >= done + 100)
    batch.forEach(({ socket }, i) => leave(socket, done + i))
  }
}

t.test('1,000 abandoned admissions leave no socket, timer or listener behind (acceptSocket)', async (t) => {
  const timersBefore = active('Timeout')
  const socketsBefore = active('TCPSocketWrap')
  const gate = deferred()
  const seen: Admission[] = []
  const { server, outcomes, client } = await admittingServer(t, async (admission) => {
    seen.push(admission)
    await gate.promise
  })
  await abandonAll(client, 1000, () => seen.length, (socket, i) => (i % 2 === 0 ? socket.end() : socket.resetAndDestroy()))
  const errors = await Promise.all(outcomes.map((o) => o.result.then(() => null, (e: unknown) => e)))
  t.equal(errors.filter((e) => e instanceof SocketClosedError || (e as NodeJS.ErrnoException)?.code === 'ECONNRESET').length, 1000, 'every accept rejected')
  t.equal(seen.filter((a) => a.signal.aborted).length, 1000, 'every hook told')
  gate.resolve()
  await tick()
  t.equal(outcomes.filter((o) => o.socket.bytesWritten > 0).length, 0, 'no late 101')
  t.ok(await until(() => active('TCPSocketWrap') <= socketsBefore), `no socket left (${active('TCPSocketWrap')}, before ${socketsBefore})`)
  t.ok(await until(() => active('Timeout') <= timersBefore), 'no timer left')
  const count = await new Promise<number>((r) => server.getConnections((_e, n) => r(n)))
  t.equal(count, 0)
  t.equal(outcomes.filter((o) => {
    const after = listenerCounts(o.socket)
    return after[0] !== o.before[0] || after[1] !== o.before[1] || after[2] !== o.before[2] || after[3] > o.before[3] + 1
  }).length, 0, 'no listener of the admission left on any socket')
})

t.test('1,000 refused admissions: each peer gets its 403, and nothing stays behind', async (t) => {
  const timersBefore = active('Timeout')
  const socketsBefore = active('TCPSocketWrap')
  let called = 0
  const { server, outcomes, client } = await admittingServer(t, async () => {
    called++
    await tick()
    throw new HandshakeRejection(403, 'not on the list')
  })
  const answers: Promise<Buffer>[] = []
  for (let done = 0; done < 1000; done += 100) {
    const batch = await Promise.all(Array.from({ length: 100 }, () => client()))
    for (const { received } of batch) answers.push(received)
    await Promise.all(batch.map(({ received }) => received))
  }
  t.equal(called, 1000)
  t.equal((await Promise.all(answers)).filter((b) => /^HTTP\/1\.1 403 Forbidden\r\n[^]*not on the list$/.test(String(b))).length, 1000)
  t.equal((await Promise.all(outcomes.map((o) => o.result.then(() => null, (e: unknown) => e)))).filter((e) => e instanceof HandshakeRejection).length, 1000)
  t.ok(await until(() => active('TCPSocketWrap') <= socketsBefore), `no socket left (${active('TCPSocketWrap')}, before ${socketsBefore})`)
  t.ok(await until(() => active('Timeout') <= timersBefore), 'no linger timer left once the peers closed')
  t.equal(await new Promise<number>((r) => server.getConnections((_e, n) => r(n))), 0)
})

/** httpServer admits upgrades with admitHttpUpgrade, `admit` and `options` (by default keeping Authorization); outcomes recorded. */
async function admittingHttpServer(t: Test, admit: Admit, options: { timeoutMs?: number; keepHeaders?: string[] } = { keepHeaders: ['authorization'] }) {
  const outcomes: { socket: Socket; result: Promise<Accepted<Socket>> }[] = []
  const upgrader = new Upgrader({ protocol: (name) => Buffer.from(name).toString('latin1') === 'chat' })
  const server = createHttpServer((_req, res) => res.end('plain'))
  server.on('upgrade', (req: IncomingMessage, socket: Socket, head: Buffer) => {
    const result = admitHttpUpgrade(req, socket, head, upgrader, { ...options, admit })
    result.catch(() => {})
    outcomes.push({ socket, result })
  })
  server.listen(0, '127.0.0.1')
  await once(server, 'listening')
  t.teardown(() => server.close())
  return { server, port: (server.address() as { port: number }).port, outcomes }
}

t.test('node:http with the ws client: an async check on the Authorization header admits one and refuses another', async (t) => {
  const { port, outcomes } = await admittingHttpServer(t, async ({ request, protocol }) => {
    await tick()
    t.equal(protocol, 'chat')
    if (request.headers.authorization !== 'Bearer good') throw new HandshakeRejection(401, 'bad token', [['WWW-Authenticate', 'Bearer']])
  })
  const good = new WebSocket(`ws://127.0.0.1:${port}/room?x=1`, ['chat'], { headers: { authorization: 'Bearer good' } })
  t.teardown(() => good.terminate())
  await once(good, 'open')
  const accepted = await outcomes[0].result
  t.same({ path: accepted.request?.path, query: accepted.request?.query, protocol: accepted.protocol }, { path: '/room', query: 'x=1', protocol: 'chat' })
  // A frame from the client after the 101 arrives on the handed-over socket.
  good.send('hello')
  accepted.socket.resume()
  const [frame] = await once(accepted.socket, 'data')
  t.equal(frame[0], 0x81)

  const bad = new WebSocket(`ws://127.0.0.1:${port}/room`, ['chat'], { headers: { authorization: 'Bearer bad' } })
  const [, response] = await once(bad, 'unexpected-response')
  t.equal(response.statusCode, 401)
  t.equal(response.headers['www-authenticate'], 'Bearer')
  response.resume()
  const refusal = await outcomes[1].result.catch((e: unknown) => e)
  t.type(refusal, HandshakeRejection)
  t.equal((refusal as HandshakeRejection).status, 401)
  bad.on('error', () => {})
})

t.test('node:http: a refusal by the Upgrader rejects before any hook; a peer gone mid-check and a deadline end it', async (t) => {
  const seen: Admission[] = []
  const { port, outcomes } = await admittingHttpServer(t, (admission) => {
    seen.push(admission)
    return new Promise(() => {})
  }, { timeoutMs: 200 }) // and no keepHeaders: the hook's request keeps none
  const refused = connect(port, '127.0.0.1')
  const refusedBytes = collect(refused)
  refused.write(ascii(sampleRequest.replace('Sec-WebSocket-Version: 13', 'Sec-WebSocket-Version: 8')))
  t.match(String(await refusedBytes), /^HTTP\/1\.1 426 /)
  await t.rejects(outcomes[0].result, HandshakeRejection)
  t.equal(seen.length, 0)

  const leaving = connect(port, '127.0.0.1')
  leaving.write(ascii(sampleRequest))
  await until(() => seen.length === 1)
  t.same(seen[0].request.headers, {}, 'no header kept unless asked for')
  leaving.end()
  await t.rejects(outcomes[1].result, SocketClosedError)
  t.equal(seen[0].signal.aborted, true)

  const silent = connect(port, '127.0.0.1')
  const silentBytes = collect(silent)
  silent.write(ascii(sampleRequest))
  t.equal((await silentBytes).length, 0, 'closed without a response')
  await t.rejects(outcomes[2].result, HandshakeTimeoutError)
})

t.test('1,000 abandoned admissions on node:http leave no socket, timer or listener behind', async (t) => {
  const timersBefore = active('Timeout')
  const socketsBefore = active('TCPSocketWrap')
  const seen: Admission[] = []
  const { server, port, outcomes } = await admittingHttpServer(t, (admission) => {
    seen.push(admission)
    return new Promise(() => {})
  })
  const client = async () => {
    const socket = connect(port, '127.0.0.1')
    await once(socket, 'connect')
    socket.write(ascii(sampleRequest))
    return { socket }
  }
  await abandonAll(client, 1000, () => seen.length, (socket) => socket.destroy())
  const errors = await Promise.all(outcomes.map((o) => o.result.then(() => null, (e: unknown) => e)))
  t.equal(errors.filter((e) => e instanceof SocketClosedError || (e as NodeJS.ErrnoException)?.code === 'ECONNRESET').length, 1000)
  t.equal(seen.filter((a) => a.signal.aborted).length, 1000)
  t.ok(await until(() => active('TCPSocketWrap') <= socketsBefore), `no socket left (${active('TCPSocketWrap')}, before ${socketsBefore})`)
  t.ok(await until(() => active('Timeout') <= timersBefore), 'no timer left')
  t.equal(await new Promise<number>((r) => server.getConnections((_e, n) => r(n))), 0)
  t.equal(outcomes.filter((o) => o.socket.listenerCount('data') > 0).length, 0, 'no data listener left')
})
