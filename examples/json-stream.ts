// JSON-RPC-style request/response over WebSocket, streamed both ways: each incoming message is
// piped from ws-util's MessageReader into a streaming JSON parser (@streamparser/json-node),
// which hands over `id`, `method` and each element of `params` as it completes, so a request
// with a million numbers is summed as they arrive and never held whole (an element is built
// whole, so one huge nested element would be: the 16 MiB message limit bounds that). Each reply
// is produced by a streaming JSON encoder (json-stream-stringify) piped into a MessageWriter,
// which sends it in frames as it is written, so a large result is never held whole either.
//
// Each connection is pinged every --ping-interval ms and closed with 1001 when a pong is
// --ping-timeout ms late (lib/heartbeat.ts), pongs routed from the reader's control handler.
//
//   pnpm exec tsx examples/json-stream.ts --port 8080 [--ping-interval MS] [--ping-timeout MS]
//
// Requests: {"id": 1, "method": "sum", "params": [1, 2, 3]}  -> {"id":1,"result":{"count":3,"sum":6}}
//           {"id": 2, "method": "range", "params": [5]}      -> {"id":2,"result":[0,1,2,3,4]}
// Anything else gets {"id": ..., "error": "..."}; the connection goes on.
import type { Duplex } from 'node:stream'
import { Readable } from 'node:stream'
import { pipeline } from 'node:stream/promises'
import { JSONParser } from '@streamparser/json-node'
import { JsonStreamStringify } from 'json-stream-stringify'
import { OpCode, Upgrader } from '@ws-toolkit/ws-core'
import { ConnectionSet, type Message, MessageReader, MessageWriter } from '@ws-toolkit/ws-util'
import { parseCommand, portFlag } from './lib/args.ts'
import { heartbeatFlags, heartbeatSettings, keepAlive, pongReceived } from './lib/heartbeat.ts'
import { listen, webSocketServer } from './lib/server.ts'
import { stopOnSignals } from './lib/shutdown.ts'

const { values } = parseCommand({
  summary: 'JSON requests streamed into a parser, replies streamed out of an encoder (methods sum and range)',
  flags: { port: portFlag(8080), ...heartbeatFlags },
  notes: ['send {"id":1,"method":"sum","params":[1,2,3]} or {"id":2,"method":"range","params":[5]}'],
})
const { port } = values
const heartbeatEvery = heartbeatSettings(values)
const noPayload = new Uint8Array(0)
const connections = new ConnectionSet()
const upgrader = new Upgrader()
/** The largest range a request may ask for: a peer controls it, so it has a limit. */
const maxRange = 10_000_000

function* range(n: number): Generator<number> {
  for (let i = 0; i < n; i++) yield i
}

/** answer parses one request as it streams in and returns the reply to stream back. */
async function answer(message: Message): Promise<object> {
  const parser = new JSONParser({ paths: ['$.id', '$.method', '$.params.*'], keepStack: false })
  let id: unknown = null
  let method: unknown
  let count = 0
  let sum = 0
  let first: unknown
  let numbers = true
  parser.on('data', ({ value, key }: { value: unknown; key: string | number | undefined }) => {
    if (key === 'id') id = value
    else if (key === 'method') method = value
    else {
      if (count === 0) first = value
      count++
      if (typeof value === 'number') sum += value
      else numbers = false
    }
  })
  try {
    await pipeline(message.stream, parser)
  } catch (error) {
    return { id, error: `invalid JSON: ${(error as Error).message}` }
  }
  if (method === 'sum') return numbers ? { id, result: { count, sum } } : { id, error: 'sum takes numbers' }
  if (method === 'range') {
    if (!(Number.isInteger(first) && (first as number) >= 0 && (first as number) <= maxRange)) return { id, error: `range takes one integer from 0 to ${maxRange}` }
    // An object-mode stream: the encoder writes it as a JSON array, element by element.
    return { id, result: Readable.from(range(first as number)) }
  }
  return { id, error: `unknown method ${JSON.stringify(method ?? null)}` }
}

async function serve(socket: Duplex, head: Uint8Array): Promise<void> {
  const reader = new MessageReader(socket, head, {
    side: 'server',
    limits: { maxMessageSize: 16 * 1024 * 1024 },
    onControl(reader, opCode, payload) {
      if (opCode === OpCode.Pong) pongReceived(reader)
      MessageReader.defaultControl(reader, opCode, payload)
    },
  })
  connections.add(reader)
  // Stopped when the socket closes. A ping goes out between a reply's frames, as §5.5 allows.
  keepAlive(reader, () => reader.sendControl(OpCode.Ping, noPayload), heartbeatEvery)
  for (;;) {
    let message
    try {
      message = await reader.next()
    } catch {
      return // closed by the peer (answered), failed with a close code, or lost
    }
    const reply = await answer(message)
    try {
      await pipeline(new JsonStreamStringify(reply), new MessageWriter(socket, { side: 'server', opCode: OpCode.Text }))
    } catch {
      return // the connection went away mid-reply
    }
  }
}

const server = webSocketServer(upgrader, (socket, head) => void serve(socket, head))
stopOnSignals(server, connections)
listen(server, port, (actual) => `send {"id":1,"method":"sum","params":[1,2,3]} to ws://127.0.0.1:${actual}/`)
