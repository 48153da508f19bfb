// A node:http server that upgrades /ws to WebSocket and echoes every message, frame by frame.
// Other paths get a plain HTTP answer: the WebSocket lives beside an ordinary web server.
// The path is compared with ws-core's requestPath, so `GET http://host:port/ws` is served too.
// /ws/whoami is routed after the handshake by the path the connection carries
// (acceptHttpUpgrade's keepRequest): it first tells the peer its address and the client's
// address, then echoes. Behind a reverse proxy (nginx), `--trust-proxy 127.0.0.1,10.0.0.0/8`
// names the proxies whose X-Forwarded-For is believed (ws-util's clientAddress); by default
// nobody's is, and the client is the socket's peer.
//
//   pnpm exec tsx examples/http-upgrade.ts --port 8080
//   then connect to ws://127.0.0.1:8080/ws
import { createServer } from 'node:http'
import { compileFrame, HandshakeRejection, newTextFrame, requestPath, sameOrigin, Upgrader } from '@ws-toolkit/ws-core'
import { acceptHttpUpgrade, clientAddress, ConnectionSet, TrustedProxies } from '@ws-toolkit/ws-util'
import { parseCommand, portFlag, usageError } from './lib/args.ts'
import { echoMessages } from './lib/echo.ts'
import { heartbeatFlags, heartbeatSettings } from './lib/heartbeat.ts'
import { listen } from './lib/server.ts'
import { stopOnSignals } from './lib/shutdown.ts'

// --trust-proxy takes a list, which lib/args.ts has no kind of flag for: it is taken out of
// the arguments here (`--trust-proxy LIST` or `--trust-proxy=LIST`), the rest parsed there.
const trustFlag = '--trust-proxy'
const rest: string[] = []
let trustList = ''
for (let i = 2; i < process.argv.length; i++) {
  const arg = process.argv[i]!
  if (arg === trustFlag) {
    if (i + 1 === process.argv.length) usageError(`${trustFlag} needs a value: IPs and CIDR ranges, comma-separated`)
    trustList = process.argv[++i]!
  } else if (arg.startsWith(`${trustFlag}=`)) trustList = arg.slice(trustFlag.length + 1)
  else rest.push(arg)
}
const { values } = parseCommand({
  summary: 'node:http server that upgrades /ws and /ws/whoami to WebSocket and echoes; other paths get plain HTTP',
  flags: { port: portFlag(8080), ...heartbeatFlags },
  notes: [
    `  ${trustFlag} LIST  believe X-Forwarded-For from these proxies only: IPs and CIDR ranges,`,
    '                      comma-separated (127.0.0.1,10.0.0.0/8,::1); default none: the client is the peer',
  ],
}, rest)
let trusted: TrustedProxies
try {
  trusted = new TrustedProxies(trustList.split(',').map((entry) => entry.trim()).filter((entry) => entry !== ''))
} catch (error) {
  usageError(`invalid ${trustFlag} '${trustList}': ${(error as TypeError).message}`)
}
const { port } = values
// Each connection is pinged, and closed with 1001 when it stops answering (lib/heartbeat.ts).
const echoOptions = { heartbeat: heartbeatSettings(values) }
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

// Keep the path, the peer's address and X-Forwarded-For (for clientAddress) on each
// connection, for routing after the 101.
const keep = { keepRequest: true, keepHeaders: ['x-forwarded-for'] }

server.on('upgrade', (req, socket, head) => {
  let accepted
  try {
    accepted = acceptHttpUpgrade(req, socket, head, upgrader, keep)
  } catch (error) {
    if (error instanceof HandshakeRejection) return // already answered with its status
    throw error
  }
  // Route by the path the request carried (the same for the absolute-form target).
  const request = accepted.request!
  if (request.path === '/ws/whoami') {
    // The peer is the last hop (nginx, when proxied); the client is who a trusted chain says.
    const client = clientAddress(request, trusted)
    accepted.socket.write(compileFrame(newTextFrame(`you are ${request.remoteAddress}:${request.remotePort}, client ${client}`)))
  }
  connections.add(echoMessages(accepted.socket, accepted.head, echoOptions))
})
stopOnSignals(server, connections)

listen(server, port, (actual) => `echo at ws://127.0.0.1:${actual}/ws, try: pnpm exec tsx examples/client.ts ws://127.0.0.1:${actual}/ws hello`)
