// Issue 15: dead peers dropped. Every example that holds connections pings them every
// --ping-interval ms (lib/heartbeat.ts, ws-util's startHeartbeat) and closes with 1001 a peer
// whose pong is --ping-timeout ms late, destroying its socket if it does not close in time.
// Here with 100 ms / 200 ms: a raw TCP peer (TLS for the wss:// examples) answers the pings for a while, then stops answering
// (it keeps its socket open and reads on, answering nothing, not even the close): it must get
// the close frame 1001, the server's FIN, and then have its connection cut, which its next
// write shows (a reset). The ws client, which answers every ping, stays connected across many
// intervals. No time is asserted: each wait has a generous bound.
import { once } from 'node:events'
import { connect, type Socket } from 'node:net'
import { connect as connectTls } from 'node:tls'
import t, { type Test } from 'tap'
import WebSocket from 'ws'
import { compileFrame, maskFrame, newHeader, newPingFrame, newPongFrame, newTextFrame, OpCode, parseCloseBody, readHeader } from '@ws-toolkit/ws-core'
import { makeCertificate } from './certificate.js'
import { runExample } from './run-example.js'

/** A short heartbeat, so that a test sees many intervals. */
const fast = ['--ping-interval', '100', '--ping-timeout', '200']
/** The most any one wait below may take before the test fails (a busy machine is slow, not wrong). */
const boundMs = 20_000

/** waitFor polls `done` every 10 ms; it throws, naming `what`, if it is not true within boundMs. */
async function waitFor(what: string, done: () => boolean): Promise<void> {
  for (const start = Date.now(); !done();) {
    if (Date.now() - start > boundMs) throw new Error(`not within ${boundMs} ms: ${what}`)
    await new Promise((resolve) => setTimeout(resolve, 10))
  }
}

/** What a raw peer saw of the server. */
interface RawPeer {
  socket: Socket
  /** Pings received. */
  pings: number
  /** Whether pings are answered with pongs: set it false to play dead. */
  answering: boolean
  /** The server's close frame, once received (never answered). */
  close: { code: number; reason: string } | null
  /** Whether the server's FIN arrived. */
  ended: boolean
  /** Whether the TCP connection is gone (closed or reset). */
  closed: boolean
}

/**
 * rawPeer does the opening handshake for `path` on a raw TCP socket (TLS over it, trusting
 * `ca`, when given) that allows half-open connections (the server's FIN does not end our side),
 * then reads every frame: pings are answered while `answering`, anything else is only recorded.
 */
async function rawPeer(t: Test, port: number, path: string, ca?: Buffer): Promise<RawPeer> {
  const options = { port, host: '127.0.0.1', allowHalfOpen: true }
  const socket = ca === undefined ? connect(options) : connectTls({ ...options, ca })
  t.teardown(() => socket.destroy())
  const peer: RawPeer = { socket, pings: 0, answering: true, close: null, ended: false, closed: false }
  socket.on('error', () => {}) // the reset that a cut connection answers a write with
  socket.on('end', () => (peer.ended = true))
  socket.on('close', () => (peer.closed = true))
  await once(socket, ca === undefined ? 'connect' : 'secureConnect')
  socket.write(`GET ${path} HTTP/1.1\r\nHost: 127.0.0.1:${port}\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n`
    + 'Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\nSec-WebSocket-Version: 13\r\n\r\n')
  let pending = Buffer.alloc(0)
  let upgraded: (status: string) => void
  const status = new Promise<string>((resolve) => (upgraded = resolve))
  let head = true
  const header = newHeader()
  socket.on('data', (chunk: Buffer) => {
    pending = Buffer.concat([pending, chunk])
    if (head) {
      const end = pending.indexOf('\r\n\r\n')
      if (end === -1) return
      head = false
      upgraded(pending.subarray(0, pending.indexOf('\r\n')).toString('latin1'))
      pending = pending.subarray(end + 4)
    }
    for (;;) {
      const size = readHeader(pending, 0, header)
      if (size === 0 || pending.length < size + header.length) return
      const payload = pending.subarray(size, size + header.length) // a server's frames are not masked
      pending = pending.subarray(size + header.length)
      if (header.opCode === OpCode.Ping) {
        peer.pings++
        if (peer.answering) socket.write(compileFrame(maskFrame(newPongFrame(payload))))
      } else if (header.opCode === OpCode.Close) {
        const body = parseCloseBody(payload)
        peer.close = { code: body.code, reason: new TextDecoder().decode(body.reason) }
      }
    }
  })
  t.match(await status, /^HTTP\/1\.1 101 /, 'the handshake is accepted')
  return peer
}

/** The wss:// examples' certificate, which the peers trust. */
const certificate = await makeCertificate(t)
const keyPair = ['--cert', certificate.certPath, '--key', certificate.keyPath]

/** The examples that hold connections, the path each upgrades, and the CA to trust for the wss:// ones. */
const cases: [name: string, args: string[], path: string, ca?: Buffer][] = [
  ['echo', [], '/'],
  ['echo-raw', [], '/'],
  ['http-upgrade', [], '/ws'],
  ['json-stream', [], '/'],
  ['chat', [], '/'],
  ['deflate-echo', [], '/'],
  ['cluster', ['--workers', '1'], '/'],
  ['express', [], '/ws'],
  ['fastify', [], '/ws'],
  ['tls-echo', keyPair, '/', certificate.cert],
  ['https-upgrade', keyPair, '/ws', certificate.cert],
]

for (const [name, args, path, ca] of cases) {
  t.test(`examples/${name}.ts ${[...args, ...fast].join(' ')}`, async (t) => {
    const { port } = await runExample(t, name, [...args, ...fast])

    t.test('a raw peer that stops answering pings is closed with 1001, then cut', async (t) => {
      const peer = await rawPeer(t, port, path, ca)
      await waitFor('three pings answered', () => peer.pings >= 3)
      t.equal(peer.close, null, 'a peer that answers is not closed')
      peer.answering = false
      await waitFor('a close frame', () => peer.close !== null || peer.closed)
      t.same(peer.close, { code: 1001, reason: 'ping timeout' }, 'the close frame says 1001 (going away), ping timeout')
      await waitFor('the server\'s FIN', () => peer.ended || peer.closed)
      t.ok(peer.ended, 'the server ended TCP after its close (RFC 6455 §7.1.1)')
      // This peer never answers the close nor ends its side: the server must cut it. Until it
      // has, our writes are taken (and ignored); once it has, a write is answered with a reset.
      const probe = compileFrame(maskFrame(newPingFrame()))
      for (let i = 0; i < boundMs / 50 && !peer.closed; i++) {
        if (peer.socket.writable) peer.socket.write(probe)
        await new Promise((resolve) => setTimeout(resolve, 50))
      }
      t.ok(peer.closed, 'the server destroyed the connection when the close went unanswered')
    })

    t.test('the ws client, which answers every ping, stays connected', async (t) => {
      const ws = new WebSocket(`${ca === undefined ? 'ws' : 'wss'}://127.0.0.1:${port}${path}`, ca === undefined ? {} : { ca })
      t.teardown(() => ws.terminate())
      let pings = 0
      let closedEarly = false
      ws.on('ping', () => pings++)
      ws.on('close', () => (closedEarly = true))
      await once(ws, 'open')
      await waitFor('ten pings', () => pings >= 10 || closedEarly)
      t.notOk(closedEarly, 'not closed across ten intervals')
      t.equal(ws.readyState, WebSocket.OPEN)
      ws.removeAllListeners('close')
      ws.close(1000)
      const [code] = await once(ws, 'close')
      t.equal(code, 1000, 'and it closes cleanly')
    })
  })
}

t.test('--ping-interval 0 turns the heartbeat off', async (t) => {
  const { port } = await runExample(t, 'echo', ['--ping-interval', '0', '--ping-timeout', '100'])
  const peer = await rawPeer(t, port, '/')
  peer.answering = false
  // Ten messages over a second, ten intervals' worth: the connection is never pinged.
  for (let i = 0; i < 10; i++) {
    peer.socket.write(compileFrame(maskFrame(newTextFrame(`message ${i}`))))
    await new Promise((resolve) => setTimeout(resolve, 100))
  }
  t.equal(peer.pings, 0, 'no pings')
  t.equal(peer.close, null, 'not closed')
  t.notOk(peer.closed)
})
