// A client: dials a WebSocket URL, sends each message given on the command line as text,
// prints every reply, then closes cleanly.
//
//   pnpm exec tsx examples/client.ts ws://127.0.0.1:8080/ws hello world
import { CloseCode, OpCode } from '@ws-toolkit/ws-core'
import { dial } from '@ws-toolkit/ws-util'
import { exampleArgs } from './lib/args.js'
import { frameLoop } from './lib/frame-loop.js'

const { positionals } = exampleArgs(0)
const [url = 'ws://127.0.0.1:8080/ws', ...messages] = positionals
if (messages.length === 0) messages.push('hello', 'world')

const dialed = await dial(url, { protocols: ['echo'], timeoutMs: 5000 })
console.log(`connected to ${url}${dialed.protocol ? ` (subprotocol ${dialed.protocol})` : ''}`)

let text = ''
let waiting = messages.length
const connection = frameLoop(dialed.socket, dialed.head, 'client', {
  onData: (connection, header, payload) => {
    text += new TextDecoder().decode(payload, { stream: !header.fin })
    if (!header.fin) return
    console.log(`reply: ${text}`)
    text = ''
    if (--waiting === 0) connection.close(CloseCode.NormalClosure, 'done')
  },
  onClose: (_, code) => console.log(`closed with ${code}`),
})
for (const message of messages) connection.send(OpCode.Text, new TextEncoder().encode(message))
