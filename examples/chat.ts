// Broadcast chat on a raw net.Server: every text message a client sends goes to every
// connected client as "user N: text", with joins and leaves announced. Each broadcast frame
// is compiled once (ws-core's compileFrame) and the same bytes are written to every
// connection's BatchWriter (ws-util's broadcast), so a message to 1000 clients is framed once
// and each client gets one socket write per tick however many messages that tick carried.
// A client that stops reading is skipped and closed (1008) once 1 MiB waits for it, and a
// heartbeat (lib/heartbeat.ts) closes with 1001 a client that stops answering pings.
//
//   pnpm exec tsx examples/chat.ts --port 8080 [--ping-interval MS] [--ping-timeout MS]
import { compileFrame, newTextFrame, OpCode, Upgrader } from '@ws-toolkit/ws-core'
import { BatchWriter, broadcast, closeGracefully, ConnectionSet, DataReader, readClientData } from '@ws-toolkit/ws-util'
import { parseCommand, portFlag } from './lib/args.ts'
import { heartbeatFlags, heartbeatSettings, keepAlive, pongReceived } from './lib/heartbeat.ts'
import { listen, webSocketServer } from './lib/server.ts'
import { stopOnSignals } from './lib/shutdown.ts'

const { values } = parseCommand({
  summary: 'broadcast chat: every text message goes to every client, framed once',
  flags: { port: portFlag(8080), ...heartbeatFlags },
})
const { port } = values
const heartbeatEvery = heartbeatSettings(values)
const noPayload = new Uint8Array(0)
const connections = new ConnectionSet()
const upgrader = new Upgrader()
/** Who is connected: each client's writer, with its reader and name. */
const clients = new Map<BatchWriter, { reader: DataReader; name: string }>()
const decoder = new TextDecoder()
let users = 0

function announce(text: string): void {
  const dropped: string[] = []
  broadcast(clients.keys(), compileFrame(newTextFrame(text)), {
    onSkip: (writer) => {
      // Out of the room at once, so no later broadcast waits on it; the close may take a second.
      const { reader, name } = clients.get(writer)!
      clients.delete(writer)
      dropped.push(name)
      void closeGracefully(reader, 1008, 'too slow', 1000)
    },
  })
  for (const name of dropped) announce(`${name} left (too slow)`)
}

const server = webSocketServer(upgrader, (socket, head) => {
  const name = `user ${++users}`
  const writer = new BatchWriter(socket, { side: 'server' })
  // The reader calls nothing before this function returns: the client is in the room first.
  const reader = readClientData(socket, head, {
    onMessage(opCode, data) {
      if (opCode === OpCode.Text) announce(`${name}: ${decoder.decode(data)}`)
    },
    onControl(reader, opCode, payload) {
      if (opCode === OpCode.Pong) pongReceived(reader)
      DataReader.defaultControl(reader, opCode, payload)
    },
    onClose() {
      if (clients.delete(writer)) announce(`${name} left`)
    },
  }, { writer, limits: { maxMessageSize: 64 * 1024 } })
  // Stopped when the socket closes.
  keepAlive(reader, () => writer.writeControl(OpCode.Ping, noPayload), heartbeatEvery)
  clients.set(writer, { reader, name })
  connections.add(reader)
  writer.writeMessage(OpCode.Text, Buffer.from(`welcome, ${name}`))
  announce(`${name} joined`)
})

stopOnSignals(server, connections)
listen(server, port, (actual) => `chat at ws://127.0.0.1:${actual}/`)
