// The npm package ws as a client under test, for comparison: an echo client with
// permessage-deflate on (ws's client default), walking the fuzzing server's cases.
//
//   pnpm exec tsx src/agents/ws-client.ts ws://127.0.0.1:9001 [agent-name]
import { WebSocket } from 'ws'

const agent = process.argv[3] ?? 'ws'
const base = process.argv[2] ?? 'ws://127.0.0.1:9001'

function echo(url: string): Promise<string> {
  const socket = new WebSocket(url, { maxPayload: 64 << 20 })
  let first: string | null = null
  return new Promise((resolve) => {
    socket.on('error', () => {})
    socket.on('message', (data: Buffer, isBinary) => {
      first ??= data.toString()
      socket.send(data, { binary: isBinary })
    })
    socket.on('close', () => resolve(first ?? ''))
  })
}

const count = Number(await echo(`${base}/getCaseCount`))
for (let n = 1; n <= count; n++) await echo(`${base}/runCase?case=${n}&agent=${agent}`)
await echo(`${base}/updateReports?agent=${agent}`)
