import { once } from 'node:events'
import { connect } from 'node:net'
import t, { type Test } from 'tap'
import WebSocket from 'ws'
import { runExample } from './run-example.js'

/** A ws chat client that records every text it receives. */
async function join(t: Test, port: number) {
  const ws = new WebSocket(`ws://127.0.0.1:${port}/`)
  t.teardown(() => ws.terminate())
  const heard: string[] = []
  ws.on('message', (data: Buffer) => heard.push(data.toString()))
  await once(ws, 'open')
  const until = async (text: string) => {
    while (!heard.includes(text)) await new Promise((r) => setTimeout(r, 5))
  }
  return { ws, heard, until }
}

t.test('examples/chat.ts', async (t) => {
  const { port } = await runExample(t, 'chat')

  t.test('every message reaches every client; joins and leaves are announced', async (t) => {
    const alice = await join(t, port)
    await alice.until('welcome, user 1')
    const bob = await join(t, port)
    await bob.until('welcome, user 2')
    await alice.until('user 2 joined')
    alice.ws.send('hello bob')
    await bob.until('user 1: hello bob')
    await alice.until('user 1: hello bob')
    bob.ws.close(1000)
    await alice.until('user 2 left')
    t.same(alice.heard, ['welcome, user 1', 'user 1 joined', 'user 2 joined', 'user 1: hello bob', 'user 2 left'])
    t.same(bob.heard, ['welcome, user 2', 'user 2 joined', 'user 1: hello bob'])
  })

  t.test('a client that stops reading is dropped, and the others go on', async (t) => {
    const carol = await join(t, port)
    // A raw client that completes the handshake and then never reads.
    const stuck = connect(port, '127.0.0.1')
    t.teardown(() => stuck.destroy())
    stuck.write('GET / HTTP/1.1\r\nHost: 127.0.0.1\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n'
      + 'Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\nSec-WebSocket-Version: 13\r\n\r\n')
    const [response] = (await once(stuck, 'data')) as [Buffer]
    stuck.pause()
    t.ok(response.toString('latin1').startsWith('HTTP/1.1 101'))
    const name = carol.heard[0].replace('welcome, ', '')
    // The stuck client's name, from its announcement.
    const joined = () => carol.heard.find((h) => h.endsWith(' joined') && h !== `${name} joined`)
    while (joined() === undefined) await new Promise((r) => setTimeout(r, 5))
    const stuckName = joined()!.replace(/ joined$/, '')
    const line = 'x'.repeat(60 * 1024)
    // 12 MB: far more than the kernel's socket buffers and the 1 MiB limit. The server must
    // skip the stuck client and close it (after its 1 s close wait) rather than queue it all.
    for (let i = 0; i < 200; i++) {
      carol.ws.send(line)
      if (i % 20 === 0) await new Promise((r) => setTimeout(r, 5))
    }
    while (!carol.heard.includes(`${stuckName} left (too slow)`)) await new Promise((r) => setTimeout(r, 20))
    t.notOk(carol.heard.some((h) => h.startsWith(`${name} left`)), 'the client that reads stays')
    carol.ws.send('still here')
    await carol.until(`${name}: still here`)
  })
})
