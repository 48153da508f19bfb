// A node:http server that upgrades /ws to WebSocket and echoes every message, frame by frame.
// Other paths get a plain HTTP answer: the WebSocket lives beside an ordinary web server.
// The path is compared with ws-core's requestPath, so `GET http://host:port/ws` is served too.
// /ws/whoami is routed after the handshake by the path the connection carries
// (acceptHttpUpgrade's keepRequest): it first tells the peer its address, then echoes.
//
//   pnpm exec tsx examples/http-upgrade.ts --port 8080
//   then connect to ws://127.0.0.1:8080/ws
import { createServer } from 'node:http'
import { compileFrame, HandshakeRejection, newTextFrame, requestPath, sameOrigin, Upgrader } from '@ws-toolkit/ws-core'
import { acceptHttpUpgrade, ConnectionSet } from '@ws-toolkit/ws-util'
import { parseCommand, portFlag } from './lib/args.ts'
import { echoMessages } from './lib/echo.ts'
import { listen } from './lib/server.ts'
import { stopOnSignals } from './lib/shutdown.ts'

const { values: { port } } = parseCommand({
  summary: 'node:http server that upgrades /ws and /ws/whoami to WebSocket and echoes; other paths get plain HTTP',
  flags: { port: portFlag(8080) },
})
const connections = new ConnectionSet()

const upgrader = new Upgrader({
  onRequest: (uri) => {
    // The request-target as sent: `/ws?x=1`, or the absolute-form `http://host:port/ws` that a
    // server must accept too (RFC 9112 §3.2.2). requestPath gives `/ws` for both (a copy: the
    // view is valid only during the callback), and null for what no WebSocket request sends.
    const path = requestPath(uri)
    if (path === null) throw new HandshakeRejection(400, 'invalid request-target')
    if (path !== '/ws' && path !== '/ws/whoami') throw new HandshakeRejection(404, 'no WebSocket here')
  },
  protocol: (name) => new TextDecoder().decode(name) === 'echo',
  // Browsers may connect only from pages this server serves; other clients send no Origin.
  checkOrigin: sameOrigin(false),
})

const server = createServer((req, res) => {
  res.writeHead(200, { 'content-type': 'text/plain' })
  res.end('WebSocket echo at /ws\n')
})

// Keep the path and the peer's address on each connection, for routing after the 101.
const keep = { keepRequest: true }

server.on('upgrade', (req, socket, head) => {
  let accepted
  try {
    accepted = acceptHttpUpgrade(req, socket, head, upgrader, keep)
  } catch (error) {
    if (error instanceof HandshakeRejection) return // already answered with its status
    throw error
  }
  // Route by the path the request carried (the same for the absolute-form target).
  const { path, remoteAddress, remotePort } = accepted.request!
  if (path === '/ws/whoami') accepted.socket.write(compileFrame(newTextFrame(`you are ${remoteAddress}:${remotePort}`)))
  connections.add(echoMessages(accepted.socket, accepted.head))
})
stopOnSignals(server, connections)

listen(server, port, (actual) => `echo at ws://127.0.0.1:${actual}/ws, try: pnpm exec tsx examples/client.ts ws://127.0.0.1:${actual}/ws hello`)
