// Express 5 and WebSocket on one port. Express serves the HTTP routes; the upgrades are ours:
// the http.Server that Express runs on emits 'upgrade' for every request that asks to upgrade
// (while a listener is registered, Node never hands such a request to Express), and
// lib/upgrades.ts answers it with ws-util's acceptHttpUpgrade on the chosen paths (/ws: echo)
// and with an HTTP error on any other (404), the socket then ended, never left hanging. Each
// connection is kept in a ConnectionSet, pinged (--ping-interval, --ping-timeout), and closed
// with 1001 on Ctrl-C or SIGTERM, after the server stops accepting (lib/shutdown.ts).
//
//   pnpm exec tsx examples/express.ts --port 8080 [--ping-interval MS] [--ping-timeout MS]
//   then open http://127.0.0.1:8080/ and connect to ws://127.0.0.1:8080/ws
import { createServer } from 'node:http'
import express from 'express'
import { ConnectionSet } from '@ws-toolkit/ws-util'
import { parseCommand, portFlag } from './lib/args.ts'
import { echoMessages } from './lib/echo.ts'
import { heartbeatFlags, heartbeatSettings } from './lib/heartbeat.ts'
import { listen } from './lib/server.ts'
import { stopOnSignals } from './lib/shutdown.ts'
import { serveUpgrades, type UpgradeRoute } from './lib/upgrades.ts'

const { values } = parseCommand({
  summary: 'Express 5 serves the HTTP routes; /ws on the same port is upgraded to WebSocket and echoes',
  flags: { port: portFlag(8080), ...heartbeatFlags },
})
const { port } = values
const connections = new ConnectionSet()
const echoOptions = { heartbeat: heartbeatSettings(values) }

const app = express()
app.get('/', (_req, res) => {
  res.type('text').send('Express here; a WebSocket echo at /ws\n')
})
app.get('/health', (_req, res) => {
  res.json({ status: 'ok', websockets: connections.size })
})
// The WebSocket's path without an upgrade: 426 Upgrade Required, naming it (RFC 9110 §15.5.22).
app.get('/ws', (_req, res) => {
  res.status(426).set('Upgrade', 'websocket').type('text').send('connect with a WebSocket client\n')
})

const server = createServer(app)
const routes = new Map<string, UpgradeRoute>([['/ws', ({ socket, head }) => echoMessages(socket, head, echoOptions)]])
serveUpgrades(server, routes, connections)
stopOnSignals(server, connections)
listen(server, port, (actual) => `Express at http://127.0.0.1:${actual}/, echo at ws://127.0.0.1:${actual}/ws`)
