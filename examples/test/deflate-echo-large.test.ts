// Issue 12: examples/deflate-echo.ts, a ws client that agreed server_no_context_takeover and
// client_no_context_takeover, and messages of about 100 KiB of JSON: with the fflate engine the
// client failed after a few messages ("invalid distance too far back"), the server's
// compressor having matched back into the message before. Here each engine echoes 1,000
// messages of 64 to 255 KiB of JSON (large-json.ts), 16 in flight at a time, to the ws client,
// whose inflater starts every message with an empty window: a reference before a message's
// start fails there.
//
// With fflate's compressor as it was before the fix (d74163a's, in a copy of the tree) this
// test fails: the ws client gets "invalid distance too far back" at message 60 (counting from
// 0), which starts inside indentation ("    \"id\": 28428,..."); fflate, restarted at its old
// buffer position, where the bytes just before were indentation from message 59, extended a
// run of spaces 1 byte back into them. Compressed in-process, 73 of the 1,000 messages fail.
//
// Each engine's run takes 10 to 30 s here: each has 110 s, the file 240 s (tap's default for
// this package is 120 s a file).
import { once } from 'node:events'
import type { IncomingMessage } from 'node:http'
import t, { type Test } from 'tap'
import WebSocket from 'ws'
import { jsonMessages } from './large-json.js'
import { runExample } from './run-example.js'

const count = 1000
/** At most this many messages sent and not yet echoed. */
const maxInFlight = 16
const seed = 12
t.setTimeout(240_000)

/** closedLine waits for the example's line about the connection that closed, and parses it. */
async function closedLine(output: () => string): Promise<{ line: string; messages: number; bytesIn: number; bytesOut: number }> {
  for (;;) {
    const line = output().split('\n').find((l) => l.startsWith('closed ('))
    if (line !== undefined) {
      const [, messages, bytesIn, bytesOut] = /(\d+) messages .*, (\d+) bytes in, (\d+) bytes out/.exec(line)!
      return { line, messages: Number(messages), bytesIn: Number(bytesIn), bytesOut: Number(bytesOut) }
    }
    await new Promise((resolve) => setTimeout(resolve, 20))
  }
}

/**
 * echoJson sends the `count` messages of jsonMessages(seed) as text, keeping `maxInFlight` in
 * flight, and checks each echo against what was sent, in order. It rejects when the
 * connection closes before the last echo, with the ws client's errors.
 */
async function echoJson(t: Test, ws: WebSocket): Promise<number> {
  const messages = jsonMessages(seed)
  const inFlight: Buffer[] = []
  const errors: string[] = []
  let sent = 0
  let echoed = 0
  let payload = 0
  let outOfRange = 0
  const mismatched: number[] = []
  ws.on('error', (error) => errors.push(`after ${echoed} echoes: ${error.message}`))
  await new Promise<void>((resolve, reject) => {
    const sendMore = () => {
      while (sent < count && inFlight.length < maxInFlight) {
        const message = messages.next().value as Buffer
        if (message.length < 65533 || message.length > 262144) outOfRange++
        inFlight.push(message)
        payload += message.length
        sent++
        ws.send(message, { binary: false })
      }
    }
    ws.on('message', (data: Buffer, isBinary) => {
      const expected = inFlight.shift()
      if (isBinary || expected === undefined || !data.equals(expected)) mismatched.push(echoed)
      if (++echoed === count) resolve()
      else sendMore()
    })
    ws.on('close', (code, reason) => {
      if (echoed < count) reject(new Error(`closed with ${code} (${reason.toString()}) after ${echoed} of ${count} echoes; first unechoed message: ${echoed}; ws client errors: ${errors.join('; ') || 'none'}`))
    })
    sendMore()
  })
  t.equal(echoed, count, 'every message echoed')
  t.same(mismatched.slice(0, 10), [], 'every echo byte for byte what was sent, in order (the first 10 that are not)')
  t.equal(outOfRange, 0, 'every message 64 KiB (less a cut character) to 256 KiB')
  const closed = once(ws, 'close')
  ws.close(1000)
  const [code] = await closed
  t.equal(code, 1000, 'a clean close')
  t.same(errors, [], 'no error on the ws client')
  return payload
}

for (const engine of ['fflate', 'zlib']) {
  t.test(`examples/deflate-echo.ts --engine ${engine}: 1,000 JSON messages of 64-256 KiB without context takeover`, { timeout: 110_000 }, async (t) => {
    const { port, output } = await runExample(t, 'deflate-echo', ['--engine', engine])
    const ws = new WebSocket(`ws://127.0.0.1:${port}/`, { perMessageDeflate: { serverNoContextTakeover: true, clientNoContextTakeover: true, threshold: 0 } })
    t.teardown(() => ws.terminate())
    // ws emits 'open' in the same tick as 'upgrade': listen for both first.
    const opened = once(ws, 'open')
    const [response] = (await once(ws, 'upgrade')) as [IncomingMessage]
    await opened
    const agreed = String(response.headers['sec-websocket-extensions']).split(';').map((p) => p.trim())
    t.equal(agreed[0], 'permessage-deflate', `the server agreed: ${agreed.join('; ')}`)
    t.ok(agreed.includes('server_no_context_takeover') && agreed.includes('client_no_context_takeover'), 'with both no_context_takeover parameters')

    const start = performance.now()
    const payload = await echoJson(t, ws)
    const seconds = (performance.now() - start) / 1000
    const { line, messages, bytesIn, bytesOut } = await closedLine(output)
    t.match(line, `compressed (${engine})`, 'the example compressed with the engine asked for')
    t.equal(messages, count, 'the example counted them all')
    // Pretty-printed JSON compresses about 6 to 1: 3 leaves room for any engine and level.
    t.ok(bytesIn < payload / 3 && bytesOut < payload / 3, `compressed both ways: ${line}`)
    t.comment(`${engine}: ${payload} bytes of JSON each way in ${seconds.toFixed(1)} s; on the wire ${(payload / bytesIn).toFixed(2)}:1 in (ws's zlib), ${(payload / bytesOut).toFixed(2)}:1 out (${engine})`)
  })
}
