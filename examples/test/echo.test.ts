import { once } from 'node:events'
import { connect } from 'node:net'
import t from 'tap'
import WebSocket from 'ws'
import { compileFrame, maskFrame, newBinaryFrame } from '@ws-toolkit/ws-core'
import { runExample, runToEnd } from './run-example.js'
import { checkUndiciEcho, checkWsEcho } from './peers.js'

// The same server behaviour from both echo examples: ws-util's DataReader and BatchWriter (echo.ts)
// and the hand-written ws-core loop (echo-raw.ts).
for (const name of ['echo', 'echo-raw']) {
  t.test(`examples/${name}.ts`, async (t) => {
    const { port } = await runExample(t, name)
    const url = `ws://127.0.0.1:${port}/`

    t.test('the ws client: text, binary, empty, fragmented, 16 MiB', async (t) => checkWsEcho(t, url))

    t.test('undici\'s WebSocket', async (t) => checkUndiciEcho(t, url))

    t.test('invalid UTF-8 is failed with 1007, a ping answered with its payload', async (t) => {
      const ws = new WebSocket(url)
      await once(ws, 'open')
      ws.ping('hello?')
      const [pong] = (await once(ws, 'pong')) as [Buffer]
      t.equal(pong.toString(), 'hello?')
      ws.send(Buffer.from([0x41, 0xed, 0xa0, 0x80]), { binary: false })
      const [code] = await once(ws, 'close')
      t.equal(code, 1007)
    })

    t.test('a client that sends without reading is stopped, not buffered for', async (t) => {
      // 64 MiB of 64 KiB messages, and never a read: the server's answers back up, so it must
      // stop reading too, and what this client writes stays queued here. A server that kept
      // reading would hold every echo in memory and drain this client's queue.
      const socket = connect(port, '127.0.0.1')
      t.teardown(() => socket.destroy())
      socket.write('GET / HTTP/1.1\r\nHost: 127.0.0.1\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n'
        + 'Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\nSec-WebSocket-Version: 13\r\n\r\n')
      await once(socket, 'data')
      socket.pause()
      const frame = compileFrame(maskFrame(newBinaryFrame(new Uint8Array(65536))))
      for (let i = 0; i < 1024; i++) socket.write(frame)
      // Wait until the queue has stopped shrinking for a second (a busy machine may stall a
      // server briefly; one that keeps reading would drain it).
      let last = -1
      for (let still = 0; still < 5;) {
        await new Promise((r) => setTimeout(r, 200))
        still = socket.writableLength === last ? still + 1 : 0
        last = socket.writableLength
      }
      t.ok(socket.writableLength > 32 * 1024 * 1024, `${(socket.writableLength / 1048576).toFixed(1)} MiB still queued at the client`)
    })

    t.test('examples/client.ts against it', async (t) => {
      const { code, stdout } = await runToEnd('client', [url, 'one', 'two'])
      t.equal(code, 0)
      t.equal(stdout, `connected to ${url}\nreply: one\nreply: two\nclosed with 1000\n`)
    })
  })
}
