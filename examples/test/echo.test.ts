import { once } from 'node:events'
import t from 'tap'
import WebSocket from 'ws'
import { runExample, runToEnd } from './run-example.js'
import { checkUndiciEcho, checkWsEcho } from './peers.js'

// The same server behaviour from both echo examples: ws-util's reader and writer (echo.ts)
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

    t.test('examples/client.ts against it', async (t) => {
      const { code, stdout } = await runToEnd('client', [url, 'one', 'two'])
      t.equal(code, 0)
      t.equal(stdout, `connected to ${url}\nreply: one\nreply: two\nclosed with 1000\n`)
    })
  })
}
