// The examples on Bun and Deno, each checked with a real peer (the `ws` npm package, run by
// Node.js in this test): echo.ts (ws-util's event-loop path), deflate-echo.ts with its default
// engine and with each engine named (zlib works on Bun and is refused on Deno, on one line, exit
// 1), and client.ts against ws's server. Each server is stopped with SIGTERM: it closes its
// peers with 1001 (RFC 6455 §7.4.1) and exits 0. Deno runs them with `deno run --allow-net`.
import { once } from 'node:events'
import t, { type Test } from 'tap'
import WebSocket, { WebSocketServer } from 'ws'
import { checkWsEcho } from '../../../examples/test/peers.ts'
import { runExample, runToEnd } from '../../../examples/test/run-example.ts'
import { type Runtime, runtimes } from './runtimes.ts'

/** Compressible and incompressible messages, one over 64 KiB. */
const json = JSON.stringify(Array.from({ length: 3000 }, (_, i) => ({ id: i, name: `item ${i}`, tags: ['a', 'b'], price: i * 1.5 })))
const noise = Buffer.from(Array.from({ length: 70_000 }, (_, i) => (i * 2654435761) >>> 24))

/**
 * deflateEcho connects ws's client with permessage-deflate to `url`, checks the extension was
 * agreed, that each message comes back whole, and that the JSON crossed the wire compressed;
 * then leaves the connection open and returns (in an object, which `await` does not unwrap) a
 * promise of the close code it will get.
 */
async function deflateEcho(t: Test, url: string): Promise<{ closed: Promise<number> }> {
  let wire = 0
  const ws = new WebSocket(url, { perMessageDeflate: { threshold: 0 } })
  ws.on('upgrade', (response) => response.socket.on('data', (chunk: Buffer) => (wire += chunk.length)))
  const closed = new Promise<number>((resolve) => ws.on('close', (code) => resolve(code)))
  ws.on('error', () => {})
  await once(ws, 'open')
  t.match(ws.extensions, /^permessage-deflate/, 'permessage-deflate agreed')
  for (const [message, binary] of [[json, false], [noise, true], [json, false], ['', false]] as const) {
    ws.send(message, { binary })
    const [data, isBinary] = (await once(ws, 'message')) as [Buffer, boolean]
    t.equal(isBinary, binary)
    t.ok(data.equals(Buffer.from(message)), `${data.length} bytes back whole`)
  }
  t.ok(wire < noise.length + json.length, `the JSON came back compressed (${wire} bytes on the wire for ${noise.length + 2 * json.length})`)
  return { closed }
}

/** stopped sends SIGTERM and checks the example closed its open peer with 1001 and exited 0. */
async function stopped(t: Test, stop: (signal: NodeJS.Signals) => Promise<{ code: number | null }>, closed: Promise<number>): Promise<void> {
  const exit = await stop('SIGTERM')
  t.equal(await closed, 1001, 'the open peer got 1001 (going away)')
  t.equal(exit.code, 0, 'exit 0')
}

/** engineLine waits (up to 10 s) for deflate-echo's line naming its engine, which follows the listening line, and returns the name. */
async function engineLine(output: () => string): Promise<string> {
  for (let i = 0; i < 500; i++) {
    const match = /deflate echo \((\w+)\)/.exec(output())
    if (match !== null) return match[1]!
    await new Promise((resolve) => setTimeout(resolve, 20))
  }
  return `no line naming the engine in: ${output()}`
}

/** Which engine each runtime's ws-flate picks by default (default-engine.ts says why). */
const defaultEngine: Record<Runtime['name'], string> = { bun: 'zlib', deno: 'fflate' }

for (const runtime of runtimes()) {
  const { command } = runtime
  t.test(`${runtime.name} ${runtime.version}`, async (t) => {
    t.test('examples/echo.ts: ws client (text, binary, empty, fragmented, 16 MiB), then SIGTERM', async (t) => {
      const { port, stop } = await runExample(t, 'echo', [], command)
      const url = `ws://127.0.0.1:${port}/`
      await checkWsEcho(t, url)
      const ws = new WebSocket(url)
      const closed = new Promise<number>((resolve) => ws.on('close', (code) => resolve(code)))
      await once(ws, 'open')
      await stopped(t, stop, closed)
    })

    for (const engine of [undefined, 'fflate', 'zlib']) {
      const args = engine === undefined ? [] : ['--engine', engine]
      const name = `examples/deflate-echo.ts ${engine === undefined ? '(default engine)' : args.join(' ')}`
      if (engine === 'zlib' && runtime.name === 'deno') {
        t.test(`${name}: refused on one line, exit 1`, async (t) => {
          const { code, stdout, stderr } = await runToEnd('deflate-echo', ['--port', '0', ...args], command)
          t.equal(code, 1, 'exit 1')
          t.equal(stdout, '', 'it never listened')
          t.match(stderr, /^the zlib engine cannot work on this runtime: this runtime's raw inflater does not restart from the window after a BFINAL block \(RFC 7692 §7\.2\.3\.4\)[^\n]*; use another engine \(fflateEngine works everywhere\)\n$/, 'one line saying why and what to use')
        })
        continue
      }
      t.test(`${name}: ws client with permessage-deflate, then SIGTERM`, async (t) => {
        const { port, stop, output } = await runExample(t, 'deflate-echo', args, command)
        t.equal(await engineLine(output), engine ?? defaultEngine[runtime.name], 'the engine it says it uses')
        const { closed } = await deflateEcho(t, `ws://127.0.0.1:${port}/`)
        await stopped(t, stop, closed)
      })
    }

    t.test('examples/client.ts against ws\'s server (which picks the subprotocol it offers, echo)', async (t) => {
      const server = new WebSocketServer({ host: '127.0.0.1', port: 0 })
      t.teardown(() => server.close())
      await once(server, 'listening')
      const closes: number[] = []
      server.on('connection', (ws) => {
        ws.on('message', (data, isBinary) => ws.send(data, { binary: isBinary }))
        ws.on('close', (code) => closes.push(code))
      })
      const url = `ws://127.0.0.1:${(server.address() as { port: number }).port}/`
      const { code, stdout, stderr } = await runToEnd('client', [url, 'hello', 'κόσμε'], command)
      t.equal(stderr, '')
      t.equal(stdout, `connected to ${url} (subprotocol echo)\nreply: hello\nreply: κόσμε\nclosed with 1000\n`)
      t.equal(code, 0, 'exit 0')
      // ws reports the close once the socket has ended.
      for (let i = 0; closes.length === 0 && i < 100; i++) await new Promise((resolve) => setTimeout(resolve, 20))
      t.same(closes, [1000], 'ws\'s server got the client\'s close, 1000')
    })
  })
}
