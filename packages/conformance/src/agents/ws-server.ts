// The npm package ws as a server under test, for comparison: an echo server with
// permessage-deflate enabled (ws's defaults otherwise: it compresses messages of 1 KiB and more).
//
//   pnpm exec tsx src/agents/ws-server.ts [--port N]
import { parseArgs } from 'node:util'
import { WebSocketServer } from 'ws'

const { values } = parseArgs({ options: { port: { type: 'string', default: '0' } } })
const server = new WebSocketServer({ host: '127.0.0.1', port: Number(values.port), perMessageDeflate: true }, () => {
  const address = server.address()
  console.log(`listening on 127.0.0.1:${typeof address === 'object' && address !== null ? address.port : values.port}`)
})
server.on('connection', (socket) => {
  socket.on('error', () => {})
  socket.on('message', (data, isBinary) => socket.send(data, { binary: isBinary }))
})
