// A client: dials a WebSocket URL, sends each message given on the command line as text,
// prints every reply, then closes cleanly. Ctrl-C (or SIGTERM) on the way closes with 1000
// and exits 0.
//
//   pnpm exec tsx examples/client.ts ws://127.0.0.1:8080/ hello world
import { text } from 'node:stream/consumers'
import { CloseCode, OpCode } from '@ws-toolkit/ws-core'
import { CloseError, closeGracefully, dial, MessageReader, MessageWriter } from '@ws-toolkit/ws-util'
import { parseCommand, usageError } from './lib/args.ts'
import { stopTimeoutMs } from './lib/shutdown.ts'

const { positionals } = parseCommand({
  summary: 'WebSocket client: sends each MESSAGE as text, prints each reply, closes with 1000',
  flags: {},
  positionals: '[URL] [MESSAGE...]',
  notes: ['URL is ws://127.0.0.1:8080/ by default, the messages "hello" and "world". Ctrl-C closes with 1000 and exits 0.'],
})
const [url = 'ws://127.0.0.1:8080/', ...messages] = positionals
if (messages.length === 0) messages.push('hello', 'world')
if (!URL.canParse(url) || !['ws:', 'wss:'].includes(new URL(url).protocol)) usageError(`invalid URL '${url}': a ws:// or wss:// URL`)

let reader: MessageReader | undefined
let interrupted = false
/** On a signal: the closing handshake with 1000 (bounded), then exit 0. */
const interrupt = (signal: NodeJS.Signals) => {
  if (interrupted) return
  interrupted = true
  if (reader === undefined) process.exit(0) // nothing to close yet
  void closeGracefully(reader, CloseCode.NormalClosure, 'interrupted', stopTimeoutMs).then((clean) => {
    console.log(`${signal}: closed with 1000${clean ? '' : `, cut after ${stopTimeoutMs} ms without an answer`}`)
    process.exit(0)
  })
}
process.on('SIGINT', interrupt)
process.on('SIGTERM', interrupt)

let dialed
try {
  dialed = await dial(url, { protocols: ['echo'], timeoutMs: 5000 })
} catch (error) {
  console.error(`cannot connect to ${url}: ${(error as Error).message}`)
  process.exit(1)
}
console.log(`connected to ${url}${dialed.protocol ? ` (subprotocol ${dialed.protocol})` : ''}`)
reader = new MessageReader(dialed.socket, dialed.head, { side: 'client' })

try {
  for (const message of messages) {
    new MessageWriter(dialed.socket, { side: 'client', opCode: OpCode.Text }).end(message)
    console.log(`reply: ${await text((await reader.next()).stream)}`)
  }
  reader.close(CloseCode.NormalClosure, 'done')
  await reader.next()
} catch (error) {
  if (interrupted) await new Promise(() => {}) // the signal handler closes and exits
  if (!(error instanceof CloseError)) {
    console.error(`connection to ${url} lost: ${(error as Error).message}`)
    process.exit(1)
  }
  console.log(`closed with ${error.closeCode}`)
}
