// Fastify 5 and WebSocket on one port. Fastify serves the HTTP routes; the upgrades are ours:
// fastify.server is the node:http server Fastify made, whose 'upgrade' event lib/upgrades.ts
// answers with ws-util's acceptHttpUpgrade on the chosen paths (/ws: echo) and with an HTTP
// error on any other (404), the socket then ended. Fastify itself registers no 'upgrade'
// listener, and while ours is registered Node hands it no request that asks to upgrade; a
// plugin that listened too (@fastify/websocket) would answer the same sockets, so the program
// refuses to start if it finds another listener. Each connection is kept in a ConnectionSet
// and pinged (--ping-interval, --ping-timeout).
//
// Stopping (Ctrl-C, SIGTERM; lib/shutdown.ts): fastify.close() first, which runs Fastify's
// close hooks, answers 503 to requests that still arrive on kept-alive connections and stops
// the server listening (upgrades that still arrive get 503 too); meanwhile every WebSocket is
// closed with 1001, within a bound, and fastify.close() resolves once they are gone, for
// http.Server's close waits for every socket, upgraded ones included.
//
//   pnpm exec tsx examples/fastify.ts --port 8080 [--ping-interval MS] [--ping-timeout MS]
//   then open http://127.0.0.1:8080/ and connect to ws://127.0.0.1:8080/ws
import Fastify from 'fastify'
import { ConnectionSet } from '@ws-toolkit/ws-util'
import { parseCommand, portFlag } from './lib/args.ts'
import { echoMessages } from './lib/echo.ts'
import { heartbeatFlags, heartbeatSettings } from './lib/heartbeat.ts'
import { listenError, printListening } from './lib/server.ts'
import { stopOnSignals } from './lib/shutdown.ts'
import { serveUpgrades, type UpgradeRoute } from './lib/upgrades.ts'

const { values } = parseCommand({
  summary: 'Fastify 5 serves the HTTP routes; /ws on the same port is upgraded to WebSocket and echoes',
  flags: { port: portFlag(8080), ...heartbeatFlags },
})
const { port } = values
const connections = new ConnectionSet()
const echoOptions = { heartbeat: heartbeatSettings(values) }

const app = Fastify()
app.get('/', async (_request, reply) => {
  return reply.type('text/plain').send('Fastify here; a WebSocket echo at /ws\n')
})
app.get('/health', async () => ({ status: 'ok', websockets: connections.size }))
// The WebSocket's path without an upgrade: 426 Upgrade Required, naming it (RFC 9110 §15.5.22).
app.get('/ws', async (_request, reply) => {
  return reply.code(426).header('upgrade', 'websocket').type('text/plain').send('connect with a WebSocket client\n')
})

const routes = new Map<string, UpgradeRoute>([['/ws', ({ socket, head }) => echoMessages(socket, head, echoOptions)]])
serveUpgrades(app.server, routes, connections)
await app.ready()
// Ours must be the only answer to an upgrade: two listeners would both write to one socket.
const upgradeListeners = app.server.listenerCount('upgrade')
if (upgradeListeners !== 1) {
  console.error(`fastify.server has ${upgradeListeners} 'upgrade' listeners: a plugin handles upgrades too; remove it or serve WebSockets with it`)
  process.exit(1)
}
stopOnSignals(app, connections)
try {
  await app.listen({ port, host: '127.0.0.1' })
} catch (error) {
  console.error(listenError(error as NodeJS.ErrnoException, port))
  process.exit(1)
}
printListening(app.server, port, (actual) => `Fastify at http://127.0.0.1:${actual}/, echo at ws://127.0.0.1:${actual}/ws`)
