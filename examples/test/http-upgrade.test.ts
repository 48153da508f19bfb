import { once } from 'node:events'
import { connect, type Socket } from 'node:net'
import t from 'tap'
import WebSocket from 'ws'
import { compileFrame, maskFrameWith, newHeader, newTextFrame, readHeader } from '@ws-toolkit/ws-core'
import { checkUndiciEcho, checkWsEcho, launchChromium } from './peers.js'
import { runExample, runToEnd } from './run-example.js'

const { port } = await runExample(t, 'http-upgrade')
const url = `ws://127.0.0.1:${port}/ws`

t.test('the ws client: text, binary, empty, fragmented and 16 MiB messages come back', async (t) => checkWsEcho(t, url, ['echo']))

t.test('the ws client sees the subprotocol, and a refusal on another path', async (t) => {
  const ws = new WebSocket(url, ['other', 'echo'])
  await once(ws, 'open')
  t.equal(ws.protocol, 'echo')
  ws.terminate()
  const refused = new WebSocket(`ws://127.0.0.1:${port}/nope`)
  refused.on('error', () => {})
  const [, response] = (await once(refused, 'unexpected-response')) as [unknown, { statusCode: number }]
  t.equal(response.statusCode, 404)
  refused.terminate()
})

t.test('a browser page from another origin is refused with 403', async (t) => {
  const ws = new WebSocket(url, { origin: 'http://evil.example' })
  ws.on('error', () => {})
  const [, response] = (await once(ws, 'unexpected-response')) as [unknown, { statusCode: number }]
  t.equal(response.statusCode, 403)
  ws.terminate()
})

t.test('an invalid UTF-8 text message is failed with 1007', async (t) => {
  const ws = new WebSocket(url)
  await once(ws, 'open')
  ws.send(Buffer.from([0xce, 0xba, 0xed, 0xa0, 0x80]), { binary: false })
  const [code] = await once(ws, 'close')
  t.equal(code, 1007)
})

t.test('undici\'s WebSocket: text and binary', async (t) => checkUndiciEcho(t, url))

t.test('headless Chromium: a page from loopback talks to the server', async (t) => {
  const browser = await launchChromium(t)
  const page = await browser.newPage()
  await page.goto(`http://127.0.0.1:${port}/`)
  const result = await page.evaluate(async (url) => {
    const ws = new WebSocket(url, 'echo')
    ws.binaryType = 'arraybuffer'
    await new Promise((resolve, reject) => { ws.onopen = resolve; ws.onerror = reject })
    const replies: unknown[] = []
    const done = new Promise((resolve) => (ws.onmessage = (e) => { replies.push(e.data instanceof ArrayBuffer ? [...new Uint8Array(e.data)] : e.data); if (replies.length === 3) resolve(null) }))
    ws.send('from chromium')
    ws.send(new Uint8Array([1, 2, 3]))
    ws.send('x'.repeat(70000))
    await done
    const closed = new Promise((resolve) => (ws.onclose = (e) => resolve([e.code, e.wasClean])))
    ws.close(1000)
    return { protocol: ws.protocol, replies: [replies[0], replies[1], (replies[2] as string).length], closed: await closed }
  }, url)
  t.same(result, { protocol: 'echo', replies: ['from chromium', [1, 2, 3], 70000], closed: [1000, true] })
})

t.test('early data: request and first frame in one TCP packet, the frame is echoed', async (t) => {
  const socket = connect(port, '127.0.0.1')
  await once(socket, 'connect')
  t.teardown(() => socket.destroy())
  const request = `GET /ws HTTP/1.1\r\nHost: 127.0.0.1\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n` +
    'Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\nSec-WebSocket-Version: 13\r\n\r\n'
  socket.write(Buffer.concat([Buffer.from(request, 'latin1'), compileFrame(maskFrameWith(newTextFrame('early bird'), 0x0badf00d))]))
  let received = Buffer.alloc(0)
  for await (const chunk of socket) {
    received = Buffer.concat([received, chunk])
    const end = received.indexOf('\r\n\r\n')
    if (end === -1) continue
    const header = newHeader()
    const size = readHeader(received, end + 4, header)
    if (size === 0 || received.length < end + 4 + size + header.length) continue
    t.match(received.subarray(0, end).toString(), /^HTTP\/1\.1 101 /)
    t.equal(received.subarray(end + 4 + size, end + 4 + size + header.length).toString(), 'early bird')
    break
  }
})

/** Sends a handshake for `target` on a raw socket, then a masked text frame; resolves with the status line and the echo, if any. */
async function rawHandshake(target: string): Promise<{ status: string; echo: string | null }> {
  const socket = connect(port, '127.0.0.1')
  socket.on('error', () => {})
  await once(socket, 'connect')
  try {
    socket.write(`GET ${target} HTTP/1.1\r\nHost: 127.0.0.1:${port}\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n` +
      'Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\nSec-WebSocket-Version: 13\r\n\r\n')
    let received = Buffer.alloc(0)
    let sent = false
    for await (const chunk of socket) {
      received = Buffer.concat([received, chunk])
      const end = received.indexOf('\r\n\r\n')
      if (end === -1) continue
      const status = received.subarray(0, received.indexOf('\r\n')).toString('latin1')
      if (!status.startsWith('HTTP/1.1 101 ')) return { status, echo: null }
      if (!sent) {
        sent = true
        socket.write(compileFrame(maskFrameWith(newTextFrame(`echo of ${target}`), 0x12345678)))
      }
      const header = newHeader()
      const size = readHeader(received, end + 4, header)
      if (size === 0 || received.length < end + 4 + size + header.length) continue
      return { status, echo: received.subarray(end + 4 + size, end + 4 + size + header.length).toString() }
    }
    throw new Error(`closed before an answer to ${target}`)
  } finally {
    socket.destroy()
  }
}

t.test('issue 14: the absolute-form request-target (RFC 9112 §3.2.2) is upgraded like the origin-form', async (t) => {
  for (const target of [`http://127.0.0.1:${port}/ws`, `HTTP://127.0.0.1:${port}/ws?x=1`, `ws://localhost/ws`, '/ws?x=1']) {
    const { status, echo } = await rawHandshake(target)
    t.match(status, /^HTTP\/1\.1 101 /, `${target}: 101`)
    t.equal(echo, `echo of ${target}`, `${target}: a frame is echoed`)
  }
  for (const target of [`http://127.0.0.1:${port}/nope`, `http://127.0.0.1:${port}`, `http://127.0.0.1:${port}?ws`]) {
    t.match((await rawHandshake(target)).status, /^HTTP\/1\.1 404 /, `${target}: another path is a 404`)
  }
  for (const target of [`http://user@127.0.0.1:${port}/ws`, `ftp://127.0.0.1/ws`]) {
    t.match((await rawHandshake(target)).status, /^HTTP\/1\.1 400 /, `${target}: no WebSocket request-target, a 400`)
  }
  // And the ws client, which sends the origin-form, is still served.
  const ws = new WebSocket(`${url}?after=absolute`)
  await once(ws, 'open')
  ws.send('still here')
  const [reply] = await once(ws, 'message')
  t.equal(String(reply), 'still here')
  ws.close(1000)
  await once(ws, 'close')
})

t.test('issue 15: /ws/whoami is routed by the path the connection carries, and tells the peer its address', async (t) => {
  const ws = new WebSocket(`ws://127.0.0.1:${port}/ws/whoami?x=1`)
  const first = once(ws, 'message')
  await once(ws, 'open')
  const local = (ws as unknown as { _socket: Socket })._socket
  t.equal(String((await first)[0]), `you are 127.0.0.1:${local.localPort}, client 127.0.0.1`)
  ws.send('then echo')
  t.equal(String((await once(ws, 'message'))[0]), 'then echo')
  ws.close(1000)
  await once(ws, 'close')
  // The absolute-form target is routed the same way; /ws says nothing first.
  t.match((await rawHandshake(`http://127.0.0.1:${port}/ws/whoami`)).echo, /^you are 127\.0\.0\.1:\d+, client 127\.0\.0\.1$/)
  t.equal((await rawHandshake('/ws')).echo, 'echo of /ws')
})

t.test('examples/client.ts against the server', async (t) => {
  const { code, stdout } = await runToEnd('client', [url, 'one', 'two'])
  t.equal(code, 0)
  t.equal(stdout, `connected to ${url} (subprotocol echo)\nreply: one\nreply: two\nclosed with 1000\n`)
})
