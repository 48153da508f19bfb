// A node:https server that upgrades /ws to WebSocket over TLS (wss://) and echoes every
// message: http-upgrade.ts with a certificate. Other paths get a plain HTTPS answer, so the
// WebSocket lives beside an ordinary web server, and a page it serves may connect: the Origin
// must be this server's own https:// origin (RFC 6455 §4.2.1 item 8, §10.2). node:https parses
// the request after TLS; its 'upgrade' event hands over the TLSSocket and `head`, the bytes the
// client sent right behind its request, which the echo loop reads first (early data). Each
// connection is pinged as echo.ts's are (--ping-interval, --ping-timeout; lib/heartbeat.ts).
//
//   pnpm exec tsx examples/https-upgrade.ts --cert cert.pem --key key.pem --port 8443 [--ping-interval MS] [--ping-timeout MS]
//   then connect to wss://127.0.0.1:8443/ws
import { createServer } from 'node:https'
import { HandshakeRejection, requestPath, sameOrigin, Upgrader } from '@ws-toolkit/ws-core'
import { acceptHttpUpgrade, ConnectionSet } from '@ws-toolkit/ws-util'
import { parseCommand, portFlag } from './lib/args.ts'
import { echoMessages } from './lib/echo.ts'
import { heartbeatFlags, heartbeatSettings } from './lib/heartbeat.ts'
import { keyPairFlags, keyPairNotes, readKeyPair } from './lib/key-pair.ts'
import { listen } from './lib/server.ts'
import { stopOnSignals } from './lib/shutdown.ts'

const { values } = parseCommand({
  summary: 'node:https server that upgrades /ws to WebSocket (wss://) and echoes; other paths get plain HTTPS',
  flags: { port: portFlag(8443), ...keyPairFlags, ...heartbeatFlags },
  notes: keyPairNotes,
})
const { cert, key } = readKeyPair(values.cert, values.key)
const echoOptions = { heartbeat: heartbeatSettings(values) }
const connections = new ConnectionSet()

const upgrader = new Upgrader({
  onRequest: (uri) => {
    // `/ws?x=1`, or the absolute-form `https://host:port/ws` (RFC 9112 §3.2.2): `/ws` for both.
    const path = requestPath(uri)
    if (path === null) throw new HandshakeRejection(400, 'invalid request-target')
    if (path !== '/ws') throw new HandshakeRejection(404, 'no WebSocket here')
  },
  protocol: (name) => new TextDecoder().decode(name) === 'echo',
  // Browsers may connect only from pages this server serves (https://, this host and port);
  // other clients send no Origin.
  checkOrigin: sameOrigin(true),
})

const server = createServer({ cert, key, handshakeTimeout: 5000 }, (req, res) => {
  res.writeHead(200, { 'content-type': 'text/plain' })
  res.end('WebSocket echo at /ws (wss://)\n')
})

server.on('upgrade', (req, socket, head) => {
  let accepted
  try {
    accepted = acceptHttpUpgrade(req, socket, head, upgrader)
  } catch (error) {
    if (error instanceof HandshakeRejection) return // already answered with its status
    throw error
  }
  connections.add(echoMessages(accepted.socket, accepted.head, echoOptions))
})
// A client that does not trust the certificate fails its TLS handshake: node:tls has destroyed
// the socket already, nothing more to do.
server.on('tlsClientError', () => {})
stopOnSignals(server, connections)

listen(server, values.port, (actual) => `echo at wss://127.0.0.1:${actual}/ws (clients must trust the certificate)`)
