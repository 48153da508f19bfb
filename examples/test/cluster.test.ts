import { once } from 'node:events'
import type { IncomingMessage } from 'node:http'
import t from 'tap'
import WebSocket from 'ws'
import { runExample } from './run-example.js'
import { wsEcho } from './peers.js'

t.test('examples/cluster.ts: two workers share the port and both echo', async (t) => {
  const { port, output } = await runExample(t, 'cluster', ['--workers', '2'])
  t.match(output(), /with 2 workers/)
  const url = `ws://127.0.0.1:${port}/`
  const workers = new Set<string>()
  // The primary hands connections round-robin: a few connections reach both workers.
  for (let i = 0; i < 6 && workers.size < 2; i++) {
    const ws = new WebSocket(url)
    // 'open' follows 'upgrade' in the same tick: listen for both before waiting.
    const upgraded = once(ws, 'upgrade')
    const opened = once(ws, 'open')
    const [response] = (await upgraded) as [IncomingMessage]
    workers.add(String(response.headers['x-worker']))
    await opened
    ws.send(`from connection ${i}`)
    const [data] = (await once(ws, 'message')) as [Buffer]
    t.equal(data.toString(), `from connection ${i}`)
    ws.close(1000)
    await once(ws, 'close')
  }
  t.equal(workers.size, 2, `answered by workers ${[...workers].join(', ')}`)
  const echoed = await wsEcho(url, [{ data: 'a' }, { data: Buffer.alloc(100000, 1) }])
  t.same(echoed.map((m) => m.data.length), [1, 100000])
})
