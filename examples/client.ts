// A client: dials a WebSocket URL, sends each message given on the command line as text,
// prints every reply, then closes cleanly.
//
//   pnpm exec tsx examples/client.ts ws://127.0.0.1:8080/ hello world
import { text } from 'node:stream/consumers'
import { CloseCode, OpCode } from '@ws-toolkit/ws-core'
import { CloseError, dial, MessageReader, MessageWriter } from '@ws-toolkit/ws-util'
import { exampleArgs } from './lib/args.js'

const { positionals } = exampleArgs(0)
const [url = 'ws://127.0.0.1:8080/', ...messages] = positionals
if (messages.length === 0) messages.push('hello', 'world')

const dialed = await dial(url, { protocols: ['echo'], timeoutMs: 5000 })
console.log(`connected to ${url}${dialed.protocol ? ` (subprotocol ${dialed.protocol})` : ''}`)
const reader = new MessageReader(dialed.socket, dialed.head, { side: 'client' })

for (const message of messages) {
  new MessageWriter(dialed.socket, { side: 'client', opCode: OpCode.Text }).end(message)
  console.log(`reply: ${await text((await reader.next()).stream)}`)
}
reader.close(CloseCode.NormalClosure, 'done')
try {
  await reader.next()
} catch (error) {
  if (!(error instanceof CloseError)) throw error
  console.log(`closed with ${error.closeCode}`)
}
