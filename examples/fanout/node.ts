// One chat node of several sharing their rooms through Redis (ws-fanout). A client joins the
// room named by its path, ws://HOST/room/NAME, and every text message it sends goes to every
// member of that room, on this node and on every other node on the same Redis: the node
// publishes it once (Redis pub/sub), each node receives it once, builds its frame once (and,
// for the members that agreed permessage-deflate, compresses it once) and writes those same
// bytes to each local member. A client is welcomed ("welcome to NAME on NODE") once Redis has
// confirmed the node's subscription to its room, so it knows from then on it hears everyone.
//
// Pub/sub is at most once: what is published while Redis is away, or while this node's
// connection to it is, is lost, and never silently: the node counts it (stats.lost, from the
// gaps in each publisher's sequence numbers; stats.publishFailed for its own messages that
// Redis could not take), says so on one line per outage, answers GET /stats with its counts as
// JSON, and prints them when it stops (SIGINT, SIGTERM: every client closed with 1001 first).
// A member that stops reading is closed with 1013 (try again later) once 1 MiB waits for it,
// so that the others are never held up; a heartbeat closes with 1001 one that stops answering
// pings.
//
//   pnpm exec tsx examples/fanout/node.ts --port 8081 --redis redis://127.0.0.1:6379 --name node1
//
// examples/fanout/run.ts starts Redis, three of these and nginx in front of them: one command.
import { createServer } from 'node:http'
import { HandshakeRejection, OpCode, requestPath, Upgrader } from '@ws-toolkit/ws-core'
import { Fanout, type Subscriber } from '@ws-toolkit/ws-fanout'
import { RedisTransport } from '@ws-toolkit/ws-fanout/redis'
import { agreementOf, defaultEngine, deflateNegotiator, PerMessageDeflate } from '@ws-toolkit/ws-flate'
import { acceptHttpUpgrade, BatchWriter, ConnectionSet, DataReader, readClientData } from '@ws-toolkit/ws-util'
import { parseCommand, portFlag, usageError } from '../lib/args.ts'
import { heartbeatFlags, heartbeatSettings, keepAlive, pongReceived } from '../lib/heartbeat.ts'
import { listen } from '../lib/server.ts'
import { stopOnSignals } from '../lib/shutdown.ts'

const { values } = parseCommand({
  summary: 'a chat node: rooms at /room/NAME shared with every node on the same Redis (ws-fanout)',
  flags: {
    port: portFlag(8080),
    redis: { kind: 'text', value: 'URL', default: 'redis://127.0.0.1:6379', help: 'the Redis server the nodes share, redis:// or rediss://' },
    name: { kind: 'text', value: 'NAME', default: 'node', help: 'this node\'s name, in its welcomes, its stats and its messages\' origin' },
    ...heartbeatFlags,
  },
  notes: ['GET /stats answers with what the node counted, as JSON; a room name is 1 to 64 of A-Z a-z 0-9 _ . -'],
})
const { port, redis: redisUrl, name } = values
if (!URL.canParse(redisUrl) || !['redis:', 'rediss:'].includes(new URL(redisUrl).protocol)) usageError(`invalid --redis '${redisUrl}': a redis:// or rediss:// URL`)
if (new TextEncoder().encode(name).length > 200) usageError(`invalid --name: at most 200 bytes`)
const heartbeat = heartbeatSettings(values)
const roomPath = /^\/room\/([A-Za-z0-9_.-]{1,64})$/
const encoder = new TextEncoder()
const noPayload = new Uint8Array(0)
const connections = new ConnectionSet()

/** Whether Redis is known to be away: one line when an outage starts, one when publishing works again. */
let redisAway = false
/** redisTrouble is told of every Redis error (the transport's, a publish refused) and says the first of an outage. */
function redisTrouble(error: unknown): void {
  if (redisAway) return
  redisAway = true
  const why = (error as Error).message
  console.log(`redis: ${why}; reconnecting (what is published meanwhile is lost between the nodes, and counted)`)
}

// The node serves nobody without Redis: the first connection is tried once, and a failure ends it.
let transport: RedisTransport
try {
  transport = await RedisTransport.connect({ url: redisUrl, onError: redisTrouble })
} catch (error) {
  console.error(`cannot connect to Redis at ${redisUrl}: ${(error as Error).message}`)
  process.exit(1)
}
redisAway = false

// ws-flate's default engine (node:zlib on Node.js) both for the clients' messages and for the
// frames the fanout compresses once for every member.
const engine = defaultEngine()
const fanout = new Fanout({
  transport,
  name,
  // A member whose writer holds more than maxBuffered (1 MiB) when a message comes is closed
  // with 1013, "try again later": it may come back through the balancer to a node that has room.
  slow: 1013,
  compression: { engine },
  onError: redisTrouble,
})

const upgrader = new Upgrader({
  onRequest: (uri) => {
    // requestPath copies: the view is valid only during the call.
    if (!roomPath.test(requestPath(uri) ?? '')) throw new HandshakeRejection(404, 'rooms are at /room/NAME')
  },
  // The fanout compresses a message once for every member only if the server keeps no context
  // between messages (RFC 7692 §7.1.1.1), so the node always answers server_no_context_takeover,
  // which a server may add even when the offer did not ask for it. The clients keep theirs.
  negotiate: deflateNegotiator({ minWindowBits: engine.minWindowBits, serverNoContextTakeover: true }),
})

const server = createServer((req, res) => {
  if (req.method === 'GET' && req.url === '/stats') {
    res.writeHead(200, { 'content-type': 'application/json' })
    res.end(`${JSON.stringify(report())}\n`)
    return
  }
  res.writeHead(404, { 'content-type': 'text/plain' })
  res.end('chat rooms at ws://HOST/room/NAME; counts at GET /stats\n')
})

/** report is what the node counted: the fanout's stats, its members and its Redis reconnections. */
function report() {
  return { node: name, id: fanout.id, members: connections.size, redisReconnects: transport.reconnects, ...fanout.stats }
}

const keep = { keepRequest: true }
server.on('upgrade', (req, socket, head) => {
  let accepted
  try {
    accepted = acceptHttpUpgrade(req, socket, head, upgrader, keep)
  } catch (error) {
    if (error instanceof HandshakeRejection) return // answered with its status
    throw error
  }
  // onRequest let only /room/NAME through.
  const room = roomPath.exec(accepted.request!.path ?? '')![1]!
  // The upgrader accepted at most one permessage-deflate element. This connection's own engine
  // is the inflater of what its client sends; what it is sent are the fanout's shared frames.
  const agreement = accepted.extensions.length > 0 ? agreementOf(accepted.extensions[0]!) : null
  const deflate = agreement === null ? null : new PerMessageDeflate(agreement, 'server', { engine })
  const writer = new BatchWriter(accepted.socket, { side: 'server' })
  // The reader calls nothing before this function returns: `member` is there first.
  const reader = readClientData(accepted.socket, accepted.head, {
    onMessage(opCode, data) {
      // Copied before publish returns; delivered to this node's members at once.
      if (opCode === OpCode.Text) void fanout.publish(room, data, false).then(published)
    },
    onControl(reader, opCode, payload) {
      if (opCode === OpCode.Pong) pongReceived(reader)
      DataReader.defaultControl(reader, opCode, payload)
    },
    onClose() {
      fanout.unsubscribeAll(member)
      deflate?.close()
    },
  }, { writer, decompressor: deflate?.inflater, limits: { maxMessageSize: 64 * 1024 } })
  const member: Subscriber = { target: writer, deflate: agreement, close: (code, reason) => reader.close(code, reason) }
  keepAlive(reader, () => writer.writeControl(OpCode.Ping, noPayload), heartbeat)
  connections.add(reader)
  fanout.subscribe(room, member).then(
    () => writer.writeMessage(OpCode.Text, encoder.encode(`welcome to ${room} on ${name}`)), // dropped if it closed meanwhile
    () => reader.close(1013, 'room unavailable, try again later'),
  )
})

/** published notes that Redis took a message again after an outage. */
function published(ok: boolean): void {
  if (!ok || !redisAway) return
  redisAway = false
  const { publishFailed, lost } = fanout.stats
  console.log(`redis: publishing again (reconnections ${transport.reconnects}; so far ${publishFailed} messages of this node not published, ${lost} of other nodes lost)`)
}

stopOnSignals(server, connections, {
  // The counts first: leaving Redis may wait for it (within the stop's bound) if it is away.
  async afterClose() {
    console.log(`stats: ${JSON.stringify(report())}`)
    await fanout.close()
    await transport.close()
  },
})
listen(server, port, (actual) => `chat node ${name} (Redis ${redisUrl}) at ws://127.0.0.1:${actual}/room/NAME, counts at http://127.0.0.1:${actual}/stats`)
