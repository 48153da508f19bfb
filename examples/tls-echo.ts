// wss:// echo server on node:tls: echo.ts's server with TLS underneath. Each connection's TLS
// handshake is node:tls's; its 'secureConnection' hands over the TLSSocket, a Duplex of
// plaintext, and from there it is exactly echo.ts: acceptSocket for the WebSocket handshake
// (RFC 6455 §4.2; the request and any frames behind it are read from the decrypted bytes, so
// early data works as on a plain socket), then the same echo loop (lib/echo.ts). The TLS layer
// speaks HTTP/1.1 only (ALPN), the protocol of the opening handshake (RFC 6455 §4.1). Each
// connection is pinged as echo.ts's are (--ping-interval, --ping-timeout; lib/heartbeat.ts).
//
//   pnpm exec tsx examples/tls-echo.ts --cert cert.pem --key key.pem --port 8443 [--ping-interval MS] [--ping-timeout MS]
import { createServer, type TLSSocket } from 'node:tls'
import { Upgrader } from '@ws-toolkit/ws-core'
import { type Accepted, acceptSocket, ConnectionSet } from '@ws-toolkit/ws-util'
import { parseCommand, portFlag } from './lib/args.ts'
import { echoMessages } from './lib/echo.ts'
import { heartbeatFlags, heartbeatSettings } from './lib/heartbeat.ts'
import { keyPairFlags, keyPairNotes, readKeyPair } from './lib/key-pair.ts'
import { listen } from './lib/server.ts'
import { stopOnSignals } from './lib/shutdown.ts'

const { values } = parseCommand({
  summary: 'wss:// echo server on node:tls (tls.Server, acceptSocket, DataReader, BatchWriter)',
  flags: { port: portFlag(8443), ...keyPairFlags, ...heartbeatFlags },
  notes: keyPairNotes,
})
const { cert, key } = readKeyPair(values.cert, values.key)
const echoOptions = { heartbeat: heartbeatSettings(values) }
const upgrader = new Upgrader()
const connections = new ConnectionSet()

// 5 s for the TLS handshake and 5 s for the WebSocket one after it, as lib/server.ts gives a
// plain socket: a peer that connects and says nothing is cut.
const server = createServer({ cert, key, ALPNProtocols: ['http/1.1'], handshakeTimeout: 5000 })
const options = { timeoutMs: 5000 }
const open = (accepted: Accepted<TLSSocket>) => connections.add(echoMessages(accepted.socket, accepted.head, echoOptions))
server.on('secureConnection', (socket: TLSSocket) => {
  acceptSocket(socket, upgrader, options).then(open, ignoreRefused)
})
// A client that does not trust the certificate, or is not TLS at all, fails its handshake here:
// node:tls has destroyed the socket already, nothing more to do.
server.on('tlsClientError', ignoreRefused)
stopOnSignals(server, connections)
listen(server, values.port, (actual) => `echo at wss://127.0.0.1:${actual}/ (clients must trust the certificate)`)

/** ignoreRefused: a handshake refused (and answered), timed out or gone needs nothing more. */
function ignoreRefused(): void {}
