import { getEventListeners, once } from 'node:events'
import { createServer as createHttpServer } from 'node:http'
import { connect, type Socket } from 'node:net'
import { Duplex } from 'node:stream'
import t, { type Test } from 'tap'
import WebSocket from 'ws'
import { compileFrame, HandshakeRejection, maskFrameWith, newHeader, newTextFrame, readHeader, cipher, Upgrader } from '@ws-toolkit/ws-core'
import { acceptHttpUpgrade, acceptSocket, type Accepted, destroyOnError, HandshakeTimeoutError, readHead, refusedLingerMs, SocketClosedError } from '../src/index.js'
import { ascii, collect, listen, sampleRequest } from './helpers.js'

/** A server whose every socket goes through acceptSocket; the outcome is delivered to `outcome`. */
async function acceptingServer(t: Test, options: Parameters<typeof acceptSocket>[2] = {}, upgrader = new Upgrader()) {
  const outcomes: Promise<Accepted<Socket>>[] = []
  const { port } = await listen(t, (socket) => {
    const outcome = acceptSocket(socket, upgrader, options)
    outcome.catch(() => {})
    outcomes.push(outcome)
  })
  const client = async (allowHalfOpen = false) => {
    const socket = connect({ port, host: '127.0.0.1', allowHalfOpen })
    await once(socket, 'connect')
    t.teardown(() => socket.destroy())
    while (outcomes.length === 0) await new Promise((r) => setImmediate(r))
    return { socket, outcome: outcomes.shift()! }
  }
  return client
}

/** A Duplex fed by hand: each push() is one 'data' chunk, exactly as given. */
function fedDuplex() {
  const written: Buffer[] = []
  const duplex = new Duplex({
    read() {},
    write(chunk, _encoding, callback) {
      written.push(chunk)
      callback()
    },
  })
  return { duplex, written, feed: (bytes: Uint8Array | string) => duplex.push(typeof bytes === 'string' ? ascii(bytes) : bytes) }
}
const tick = () => new Promise((r) => setImmediate(r))

t.test('a request in pieces (each piece its own chunk) is accepted and answered with 101', async (t) => {
  const { duplex, written, feed } = fedDuplex()
  const outcome = acceptSocket(duplex, new Upgrader())
  for (const piece of [sampleRequest.slice(0, 10), sampleRequest.slice(10, 80), `${sampleRequest.slice(80)}\x81`]) {
    feed(piece)
    await tick()
  }
  const accepted = await outcome
  t.same([...accepted.head], [0x81], 'bytes after the head, from the last piece')
  t.equal(accepted.protocol, null)
  t.match(Buffer.concat(written).toString('latin1'), /^HTTP\/1\.1 101 Switching Protocols\r\n[^]*Sec-WebSocket-Accept: s3pPLMBiTxaQ9kYGzzhZRbK\+xOo=\r\n\r\n$/)
})

t.test('an accepted socket keeps nothing of the handshake: one error listener, no timer, no abort listener', async (t) => {
  const { duplex, written, feed } = fedDuplex()
  const controller = new AbortController()
  const timers = () => process.getActiveResourcesInfo().filter((name) => name === 'Timeout').length
  const before = timers()
  const outcome = acceptSocket(duplex, new Upgrader(), { timeoutMs: 60_000, signal: controller.signal })
  t.equal(timers(), before + 1, 'the handshake timeout runs while the request is read')
  t.equal(getEventListeners(controller.signal, 'abort').length, 1)
  feed(sampleRequest)
  const accepted = await outcome
  t.match(Buffer.concat(written).toString('latin1'), /^HTTP\/1\.1 101 /)
  t.equal(timers(), before, 'the timeout was cleared')
  t.equal(getEventListeners(controller.signal, 'abort').length, 0, 'the abort listener was removed')
  for (const event of ['data', 'end', 'close']) t.equal(accepted.socket.listenerCount(event), 0, `no '${event}' listener`)
  t.same(accepted.socket.listeners('error'), [destroyOnError], 'destroyOnError alone')
  t.ok(accepted.socket.isPaused(), 'paused until the caller resumes it')
  controller.abort(new Error('too late'))
  t.notOk(accepted.socket.destroyed, 'an abort after the handshake does nothing')
})

t.test('readHead resolves with the value and every byte read; a throw from parse destroys the socket', async (t) => {
  const { duplex, feed } = fedDuplex()
  const result = readHead(duplex, (bytes) => (bytes.includes(0x21) ? bytes.indexOf(0x21) : null), { timeoutMs: 0 })
  feed('abc')
  await tick()
  feed('!def')
  const { value, bytes } = await result
  t.equal(value, 3)
  t.equal(Buffer.from(bytes).toString('latin1'), 'abc!def')
  const broken = fedDuplex()
  const failed = readHead(broken.duplex, () => {
    throw new RangeError('too long')
  })
  broken.feed('x\n')
  t.match(await failed.catch((e) => e), { name: 'RangeError', message: 'too long' })
  t.ok(broken.duplex.destroyed)
})

t.test('a peer trickling bytes costs linear work: parse runs per line, not per byte', async (t) => {
  const { duplex, feed } = fedDuplex()
  const head = `GET / HTTP/1.1\r\n${'X-Filler: 0123456789abcdef0123456789abcdef\r\n'.repeat(60)}\r\n`
  let parses = 0
  const result = readHead(duplex, (bytes) => {
    parses++
    return Buffer.from(bytes).toString('latin1').endsWith('\r\n\r\n') ? bytes.length : null
  })
  for (const byte of ascii(head)) {
    feed(Uint8Array.of(byte))
    await tick()
  }
  const { value, bytes } = await result
  t.equal(value, head.length)
  t.equal(Buffer.from(bytes).toString('latin1'), head, 'every byte gathered in order')
  t.ok(parses <= 62 + Math.ceil(Math.log2(head.length)), `${parses} parses for ${head.length} bytes in ${head.length} chunks`)
})

t.test('an oversized head is refused as soon as the bytes so far break the limit', async (t) => {
  const { duplex, written, feed } = fedDuplex()
  const outcome = acceptSocket(duplex, new Upgrader({ limits: { headBytes: 1024 } }))
  outcome.catch(() => {})
  let settled = false
  outcome.then(() => {}, () => (settled = true))
  let fed = 0
  for (; fed < 100 && !settled; fed++) {
    feed(fed === 0 ? 'GET / HTTP/1.1\r\n' : 'X-Filler: aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa\r\n')
    await tick()
  }
  const error = await outcome.catch((e) => e)
  t.equal(error.status, 431)
  t.ok(fed < 30, `refused after ${fed} of 100 lines`)
  t.match(Buffer.concat(written).toString('latin1'), /^HTTP\/1\.1 431 /)
})

t.test('early data: a frame in the same packet as the request is handed back, and later data waits', async (t) => {
  const client = await acceptingServer(t)
  const { socket, outcome } = await client()
  const frame = compileFrame(maskFrameWith(newTextFrame('early'), 0x01020304))
  socket.write(Buffer.concat([ascii(sampleRequest), frame]))
  const accepted = await outcome
  t.same([...accepted.head], [...frame], 'the early frame is in head')
  // The socket is paused: bytes sent now are not lost while no handler is attached.
  socket.write(compileFrame(maskFrameWith(newTextFrame('later'), 0x05060708)))
  await new Promise((r) => setTimeout(r, 50))
  const later = once(accepted.socket, 'data')
  accepted.socket.resume()
  const [chunk] = (await later) as [Buffer]
  const header = newHeader()
  const size = readHeader(chunk, 0, header)
  const payload = chunk.subarray(size, size + header.length)
  cipher(payload, header.mask, 0)
  t.equal(payload.toString(), 'later')
})

t.test('a refused request gets its complete HTTP response and the socket ends', async (t) => {
  const client = await acceptingServer(t)
  const { socket, outcome } = await client()
  const received = collect(socket)
  socket.write(ascii(sampleRequest.replace('GET', 'POST')))
  const error = await outcome.catch((e) => e)
  t.ok(error instanceof HandshakeRejection)
  t.equal(error.status, 405)
  t.match((await received).toString('latin1'), /^HTTP\/1\.1 405 Method Not Allowed\r\nAllow: GET\r\n[^]*\r\n\r\na WebSocket handshake is a GET request$/)
})

t.test('a reset after a refusal or before the caller listens does not crash the server', async (t) => {
  const client = await acceptingServer(t)
  for (let i = 0; i < 20; i++) {
    const { socket, outcome } = await client()
    socket.on('error', () => {})
    socket.write(ascii(sampleRequest.replace('GET', 'POST')))
    await once(socket, 'data')
    socket.resetAndDestroy()
    await outcome.catch(() => {})
  }
  const { socket, outcome } = await client()
  socket.on('error', () => {})
  socket.write(ascii(sampleRequest))
  const accepted = await outcome
  // events.once would reject on the 'error' that comes first; wait for 'close' itself.
  const closed = new Promise((resolve) => accepted.socket.on('close', resolve))
  socket.resetAndDestroy()
  t.equal(await closed, true, 'the server socket closed with an error, and nothing was thrown')
})

t.test('a refused client that never closes its side is ended, then destroyed after refusedLingerMs', async (t) => {
  const client = await acceptingServer(t)
  const { socket, outcome } = await client(true) // allowHalfOpen: the server's FIN does not end our side
  socket.on('error', () => {})
  const ended = once(socket, 'end')
  const closed = once(socket, 'close')
  socket.resume()
  socket.write(ascii(sampleRequest.replace('GET', 'POST')))
  socket.write(ascii('more bytes the server must read and drop'))
  await outcome.catch(() => {})
  await ended
  t.pass('the server ended the connection; the client kept its side open')
  // Until the linger ends our bytes are read and dropped; once the server has destroyed the
  // socket, a write is answered with a reset, which closes ours. Bounded at ten lingers.
  let gone = false
  closed.then(() => (gone = true), () => (gone = true))
  for (let i = 0; i < (10 * refusedLingerMs) / 50 && !gone; i++) {
    socket.write(ascii('still here'))
    await new Promise((resolve) => setTimeout(resolve, 50))
  }
  t.ok(gone, 'the server destroyed the refused socket it had lingered on')
})

t.test('a slow client is cut off by the handshake timeout', async (t) => {
  const client = await acceptingServer(t, { timeoutMs: 100 })
  const { socket, outcome } = await client()
  const closed = once(socket, 'close')
  socket.write(ascii(sampleRequest.slice(0, 20)))
  const error = await outcome.catch((e) => e)
  t.ok(error instanceof HandshakeTimeoutError)
  t.equal(error.code, 'WS_HANDSHAKE_TIMEOUT')
  await closed
  t.pass('the socket was closed')
})

t.test('an abort signal ends the handshake with its reason', async (t) => {
  const controller = new AbortController()
  const client = await acceptingServer(t, { signal: controller.signal })
  const { socket, outcome } = await client()
  const closed = once(socket, 'close')
  controller.abort(new Error('shutting down'))
  t.match(await outcome.catch((e) => e), { message: 'shutting down' })
  await closed
  const aborted = AbortSignal.abort(new Error('already'))
  const late = await acceptingServer(t, { signal: aborted })
  t.match(await (await late()).outcome.catch((e) => e), { message: 'already' }, 'a signal aborted before the call')
})

t.test('a client that leaves mid-head is reported with what it sent', async (t) => {
  const client = await acceptingServer(t)
  const { socket, outcome } = await client()
  socket.end(ascii(sampleRequest.slice(0, 30)))
  const error = await outcome.catch((e) => e)
  t.ok(error instanceof SocketClosedError)
  t.equal(error.code, 'WS_SOCKET_CLOSED')
  t.equal(error.received, 30)
})

t.test('node:http upgrade event with the ws client: protocol, frames both ways, refusal', async (t) => {
  const upgrader = new Upgrader({
    onRequest: (uri) => {
      if (Buffer.from(uri).toString() !== '/ws') throw new HandshakeRejection(403, 'forbidden path')
    },
    protocol: (name) => Buffer.from(name).toString() === 'b',
  })
  const server = createHttpServer()
  const accepted: Accepted[] = []
  server.on('upgrade', (req, socket, head) => {
    try {
      accepted.push(acceptHttpUpgrade(req, socket, head, upgrader))
    } catch (error) {
      if (!(error instanceof HandshakeRejection)) throw error
    }
  })
  server.listen(0, '127.0.0.1')
  await once(server, 'listening')
  t.teardown(() => server.close())
  const port = (server.address() as { port: number }).port

  const ws = new WebSocket(`ws://127.0.0.1:${port}/ws`, ['a', 'b'])
  await once(ws, 'open')
  t.equal(ws.protocol, 'b')
  const connection = accepted[0]
  const message = once(ws, 'message')
  connection.socket.write(compileFrame(newTextFrame('from server')))
  t.equal(String((await message)[0]), 'from server')
  const frame = once(connection.socket, 'data')
  connection.socket.resume()
  ws.send('from client')
  const [chunk] = (await frame) as [Buffer]
  const header = newHeader()
  const size = readHeader(chunk, 0, header)
  cipher(chunk.subarray(size), header.mask, 0)
  t.equal(chunk.subarray(size).toString(), 'from client')
  ws.terminate()
  connection.socket.destroy()

  const refused = new WebSocket(`ws://127.0.0.1:${port}/elsewhere`)
  const [, response] = (await once(refused, 'unexpected-response')) as [unknown, { statusCode: number }]
  t.equal(response.statusCode, 403)
  refused.on('error', () => {})
  refused.terminate()
})

t.test('node:http: a callback bug destroys the socket and reaches the caller', async (t) => {
  const upgrader = new Upgrader({ onRequest: () => { throw new Error('boom') } })
  const server = createHttpServer()
  const errors: unknown[] = []
  server.on('upgrade', (req, socket, head) => {
    try {
      acceptHttpUpgrade(req, socket, head, upgrader)
    } catch (error) {
      errors.push(error)
    }
  })
  server.listen(0, '127.0.0.1')
  await once(server, 'listening')
  t.teardown(() => server.close())
  const ws = new WebSocket(`ws://127.0.0.1:${(server.address() as { port: number }).port}/`)
  const failed = new Promise((resolve) => ws.on('error', resolve))
  t.match(await failed, { message: /socket hang up|ECONNRESET/ })
  t.match(errors, [{ message: 'boom' }])
})
