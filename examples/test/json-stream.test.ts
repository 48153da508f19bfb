import { once } from 'node:events'
import t, { type Test } from 'tap'
import WebSocket from 'ws'
import { runExample } from './run-example.js'

/** A ws client that sends requests and reads JSON replies in order. */
async function client(t: Test, port: number) {
  const ws = new WebSocket(`ws://127.0.0.1:${port}/`)
  t.teardown(() => ws.terminate())
  await once(ws, 'open')
  const replies: unknown[] = []
  ws.on('message', (data: Buffer, isBinary) => replies.push(isBinary ? 'binary?' : JSON.parse(data.toString())))
  const reply = async () => {
    while (replies.length === 0) await new Promise((r) => setTimeout(r, 5))
    return replies.shift()
  }
  return { ws, reply }
}

t.test('examples/json-stream.ts', async (t) => {
  const { port } = await runExample(t, 'json-stream')

  t.test('sum and range, small', async (t) => {
    const { ws, reply } = await client(t, port)
    ws.send(JSON.stringify({ id: 1, method: 'sum', params: [1, 2, 3.5] }))
    t.same(await reply(), { id: 1, result: { count: 3, sum: 6.5 } })
    ws.send('{"params": [4], "method": "range", "id": "r"}')
    t.same(await reply(), { id: 'r', result: [0, 1, 2, 3] }, 'members in any order')
  })

  t.test('a million numbers in 200 fragments are summed as they stream in', async (t) => {
    const { ws, reply } = await client(t, port)
    const numbers = Array.from({ length: 1_000_000 }, (_, i) => i % 1000)
    const text = JSON.stringify({ id: 2, method: 'sum', params: numbers })
    const size = Math.ceil(text.length / 200)
    for (let offset = 0; offset < text.length; offset += size) ws.send(text.slice(offset, offset + size), { fin: offset + size >= text.length })
    t.same(await reply(), { id: 2, result: { count: 1_000_000, sum: 499_500_000 } })
  })

  t.test('a large result is streamed back in frames and arrives whole', async (t) => {
    const { ws, reply } = await client(t, port)
    ws.send(JSON.stringify({ id: 3, method: 'range', params: [200_000] }))
    const { id, result } = (await reply()) as { id: number; result: number[] }
    t.equal(id, 3)
    t.equal(result.length, 200_000)
    t.equal(result[199_999], 199_999)
  })

  t.test('bad requests get errors and the connection goes on', async (t) => {
    const { ws, reply } = await client(t, port)
    ws.send('{"id": 4, "method": "sum", "params": [1, 2')
    t.match(await reply(), { id: 4, error: /^invalid JSON/ }, 'cut short')
    ws.send('{"id": 5, "method": "sum", "params": [1, "two"]}')
    t.same(await reply(), { id: 5, error: 'sum takes numbers' })
    ws.send('{"id": 6, "method": "range", "params": [1e12]}')
    t.match(await reply(), { id: 6, error: /^range takes one integer/ }, 'a limit on what a peer can ask for')
    ws.send('[1, 2]')
    t.same(await reply(), { id: null, error: 'unknown method null' })
    ws.send('{"id": 7, "method": "sum", "params": []}')
    t.same(await reply(), { id: 7, result: { count: 0, sum: 0 } })
  })
})
