import { execFile } from 'node:child_process'
import { once } from 'node:events'
import { connect } from 'node:net'
import { dirname, join } from 'node:path'
import { fileURLToPath } from 'node:url'
import { constants, deflateRawSync } from 'node:zlib'
import t, { type Test } from 'tap'
import WebSocket, { type PerMessageDeflateOptions } from 'ws'
import { compileFrame, maskFrame, newBinaryFrame, Rsv1 } from '@ws-toolkit/ws-core'
import { launchChromium } from './peers.js'
import { runExample } from './run-example.js'

const here = dirname(fileURLToPath(import.meta.url))
const words = 'word '.repeat(20000)
const random = Buffer.from(Array.from({ length: 70_000 }, (_, i) => (i * 2654435761) >>> 24))
/** What the clients send: small, repeated, large and compressible, binary, empty, fragmented. */
const messages = ['hello', 'hello', words, random, '']

/** closedLine waits for the example's line about the connection that just closed, and parses it. */
async function closedLine(output: () => string, count: number): Promise<{ line: string; bytesIn: number; bytesOut: number }> {
  for (;;) {
    const lines = output().split('\n').filter((l) => l.startsWith('closed ('))
    if (lines.length >= count) {
      const line = lines[count - 1]
      const [, bytesIn, bytesOut] = /(\d+) bytes in, (\d+) bytes out/.exec(line)!
      return { line, bytesIn: Number(bytesIn), bytesOut: Number(bytesOut) }
    }
    await new Promise((resolve) => setTimeout(resolve, 20))
  }
}

const sent = words.length + random.length + 10

/** wsClient echoes `messages` and a fragmented one with ws's client and the given compression options. */
async function wsClient(t: Test, url: string, deflate: PerMessageDeflateOptions): Promise<void> {
  const ws = new WebSocket(url, { perMessageDeflate: { threshold: 0, ...deflate } })
  await once(ws, 'open')
  const back: (string | Buffer)[] = []
  const done = new Promise<void>((resolve) => ws.on('message', (data: Buffer, isBinary) => {
    back.push(isBinary ? data : data.toString())
    if (back.length === messages.length + 1) resolve()
  }))
  for (const message of messages) ws.send(message)
  ws.send('frag', { fin: false })
  ws.send('mented')
  await done
  t.same(back, [...messages, 'fragmented'], 'every message echoed')
  ws.close(1000)
  await once(ws, 'close')
}

/** bomb sends 1 GiB of zeros, compressed (1 MiB on the wire), as one message; resolves with the close code. */
async function bomb(port: number): Promise<number> {
  const piece = Buffer.alloc(16 << 20)
  const first = deflateRawSync(piece, { finishFlush: constants.Z_SYNC_FLUSH })
  const next = deflateRawSync(piece, { finishFlush: constants.Z_SYNC_FLUSH, dictionary: Buffer.alloc(32768) })
  const payload = Buffer.concat([first, ...Array(63).fill(next)]).subarray(0, -4)
  const socket = connect(port, '127.0.0.1')
  socket.write('GET / HTTP/1.1\r\nHost: 127.0.0.1\r\nUpgrade: websocket\r\nConnection: Upgrade\r\nSec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\n'
    + 'Sec-WebSocket-Version: 13\r\nSec-WebSocket-Extensions: permessage-deflate\r\n\r\n')
  let received = Buffer.alloc(0)
  socket.on('data', (chunk) => (received = Buffer.concat([received, chunk])))
  const frame = newBinaryFrame(payload)
  frame.header.rsv = Rsv1
  socket.write(compileFrame(maskFrame(frame)))
  await new Promise((resolve) => socket.on('close', resolve))
  const close = received.subarray(received.indexOf('\r\n\r\n') + 4)
  return close[0] === 0x88 ? close.readUInt16BE(2) : -1
}

for (const engine of ['fflate', 'zlib']) {
  t.test(`examples/deflate-echo.ts --engine ${engine}`, async (t) => {
    const { port, output } = await runExample(t, 'deflate-echo', ['--engine', engine])
    const url = `ws://127.0.0.1:${port}/`
    let connections = 0

    const configurations: [string, PerMessageDeflateOptions][] = [
      ['context takeover', {}],
      ['no context takeover', { serverNoContextTakeover: true, clientNoContextTakeover: true }],
      ...(engine === 'zlib' ? [['window bits 10 and 9', { serverMaxWindowBits: 10, clientMaxWindowBits: 9 }] as [string, PerMessageDeflateOptions]] : []),
    ]
    for (const [name, deflate] of configurations) {
      t.test(`the ws client, ${name}`, async (t) => {
        await wsClient(t, url, deflate)
        const { line, bytesIn, bytesOut } = await closedLine(output, ++connections)
        t.match(line, `compressed (${engine})`)
        // Small windows find fewer repeats: a 512-byte one still halves these messages.
        const ratio = deflate.clientMaxWindowBits === undefined ? 4 : 2
        t.ok(bytesIn < sent / ratio && bytesOut < sent / ratio, `compressed both ways: ${line}`)
      })
    }

    t.test('headless Chromium: it compresses both ways', async (t) => {
      const browser = await launchChromium(t)
  const page = await browser.newPage()
      const result = await page.evaluate(async (url) => {
        const ws = new WebSocket(url)
        ws.binaryType = 'arraybuffer'
        await new Promise((resolve, reject) => { ws.onopen = resolve; ws.onerror = reject })
        const sent: (string | Uint8Array)[] = ['hello', 'hello', 'word '.repeat(20000), Uint8Array.from({ length: 70000 }, (_, i) => i % 256), '']
        const replies: (string | ArrayBuffer)[] = []
        const done = new Promise((resolve) => (ws.onmessage = (e) => { replies.push(e.data as string | ArrayBuffer); if (replies.length === sent.length) resolve(null) }))
        for (const message of sent) ws.send(message)
        await done
        const same = replies.map((r, i) => typeof r === 'string' ? r === sent[i] : new Uint8Array(r).every((b, j) => b === (sent[i] as Uint8Array)[j]))
        const closed = new Promise((resolve) => (ws.onclose = (e) => resolve(e.code)))
        ws.close(1000)
        return { extensions: ws.extensions, same, closed: await closed }
      }, url)
      t.same(result, { extensions: 'permessage-deflate', same: [true, true, true, true, true], closed: 1000 })
      const { line, bytesIn, bytesOut } = await closedLine(output, ++connections)
      t.ok(bytesIn < 20000 && bytesOut < 20000, `compressed both ways: ${line}`)
    })

    t.test('python3-websockets, compression on', async (t) => {
      const stdout = await new Promise<string>((resolve, reject) => {
        execFile('/usr/bin/python3', [join(here, 'python-client.py'), url], (error, out) => (error ? reject(error) : resolve(out)))
      })
      t.same(JSON.parse(stdout), { extensions: 'permessage-deflate', echoed: [true, true, true, true, true, true], close: 1000 })
      const { line, bytesIn, bytesOut } = await closedLine(output, ++connections)
      t.ok(bytesIn < 5000 && bytesOut < 5000, `compressed both ways: ${line}`)
    })

    t.test('a 1 GiB bomb (1 MiB compressed) is refused with 1009', async (t) => {
      t.equal(await bomb(port), 1009)
      const { line } = await closedLine(output, ++connections)
      t.match(line, 'more than 67108864 bytes')
    })
  })
}

t.test('examples/deflate-echo.ts --no-context-takeover --level 1 answers with both parameters, on the default engine', async (t) => {
  const { port, output } = await runExample(t, 'deflate-echo', ['--no-context-takeover', '--level', '1'])
  // ws-flate's default engine: zlib from Node.js 20.16 (process.getBuiltinModule), fflate before.
  const engine = typeof (process as { getBuiltinModule?: unknown }).getBuiltinModule === 'function' ? 'zlib' : 'fflate'
  // The example names its engine on the line after "listening on": wait for it.
  while (!output().includes('deflate echo (')) await new Promise((resolve) => setTimeout(resolve, 20))
  t.match(output(), `deflate echo (${engine}) at ws://`, 'no --engine: ws-flate\'s default engine')
  const ws = new WebSocket(`ws://127.0.0.1:${port}/`, { perMessageDeflate: { threshold: 0 } })
  // ws emits 'open' in the same tick as 'upgrade': listen for both first.
  const opened = once(ws, 'open')
  const [response] = await once(ws, 'upgrade')
  await opened
  t.equal(response.headers['sec-websocket-extensions'], 'permessage-deflate; server_no_context_takeover; client_no_context_takeover')
  await wsClient(t, `ws://127.0.0.1:${port}/`, {})
  ws.close()
})

for (const engine of ['fflate', 'zlib']) {
  t.test(`examples/deflate-echo.ts --engine ${engine} --release-after 20: messages across idle times, with context takeover`, async (t) => {
    const { port, output } = await runExample(t, 'deflate-echo', ['--engine', engine, '--release-after', '20'])
    const ws = new WebSocket(`ws://127.0.0.1:${port}/`, { perMessageDeflate: { threshold: 0 } })
    await once(ws, 'open')
    const back: string[] = []
    ws.on('message', (data: Buffer) => back.push(data.toString()))
    // ws's compressor keeps its context: each message after the first refers back to the one
    // before, which the server's inflater must still hold after releasing its stream; the
    // server's compressor starts afresh after each pause, which ws's inflater reads as ever.
    const update = (i: number) => JSON.stringify({ kind: 'update', seq: i, rows: Array.from({ length: 40 }, (_, j) => ({ id: j, symbol: 'EURUSD', bid: j / 7 })) })
    for (let i = 0; i < 4; i++) {
      ws.send(update(i))
      while (back.length <= i) await new Promise((resolve) => setTimeout(resolve, 10))
      await new Promise((resolve) => setTimeout(resolve, 150)) // idle for several sweeps of 20 ms
    }
    t.same(back, [0, 1, 2, 3].map(update), 'every message echoed')
    ws.close(1000)
    await once(ws, 'close')
    const { line, bytesIn } = await closedLine(output, 1)
    t.match(line, `4 messages compressed (${engine})`)
    t.ok(bytesIn < update(0).length * 2, `later messages refer back to earlier ones: ${line}`)
  })
}

t.test('examples/custom-compressor.ts: a compressor of your own, plugged in', async (t) => {
  const { port, output } = await runExample(t, 'custom-compressor')
  const url = `ws://127.0.0.1:${port}/`
  let connections = 0
  for (const [name, deflate] of [['context takeover', {}], ['no context takeover', { serverNoContextTakeover: true, clientNoContextTakeover: true }], ['a 9-bit window', { serverMaxWindowBits: 9 }]] as const) {
    await wsClient(t, url, deflate)
    const { line, bytesIn, bytesOut } = await closedLine(output, ++connections)
    t.ok(bytesIn < sent / 2 && bytesOut < sent / 2, `${name}: compressed both ways: ${line}`)
  }
  t.equal(await bomb(port), 1009, 'the bomb is refused by the custom inflater too')
})
