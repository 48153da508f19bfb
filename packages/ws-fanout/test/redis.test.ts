// The Fanout over Redis (Debian's redis-server, started here): three nodes in one process, each
// with its own RedisTransport and its own WebSocket port, real `ws` clients in rooms.
import t, { type Test } from 'tap'
import { RedisTransport } from '../src/redis-transport.js'
import { startRedis } from './brokers.js'
import { Client } from './clients.js'
import { startNode, type WsNode } from './ws-node.js'

async function nodes(t: Test, url: string, count: number, sharded = false, coalesceMs = 0): Promise<WsNode[]> {
  const started: WsNode[] = []
  for (let i = 0; i < count; i++) {
    const transport = await RedisTransport.connect({ url, sharded })
    t.teardown(() => transport.close())
    started.push(await startNode(t, { transport, name: `node${i}`, coalesceMs }))
  }
  return started
}

/** chat connects `perRoom` clients to each room, spread over the nodes, has each send `messages` and checks every client got every message of its room once, in order. */
async function chat(t: Test, all: WsNode[], rooms: number, perRoom: number, messages: number): Promise<Client[]> {
  const clients: Client[] = []
  for (let r = 0; r < rooms; r++) {
    for (let c = 0; c < perRoom; c++) {
      const node = all[(r + c) % all.length]!
      clients.push(await Client.connect(node.port, `r${r}`, `r${r}c${c}`))
    }
  }
  t.teardown(() => Promise.all(clients.map((client) => client.close())))
  // Every subscription confirmed by the broker before anyone speaks.
  for (let r = 0; r < rooms; r++) {
    for (const [i, node] of all.entries()) await node.joined(`r${r}`, Array.from({ length: perRoom }, (_, c) => (r + c) % all.length).filter((n) => n === i).length)
  }
  for (let seq = 1; seq <= messages; seq++) for (const client of clients) client.send(seq)
  await Promise.all(clients.map((client) => client.until(perRoom * messages)))
  return clients
}

for (const coalesceMs of [0, 20]) {
  t.test(`three nodes, four rooms, coalesceMs ${coalesceMs}: every message reaches every member of its room once, in each sender's order`, async (t) => {
    const redis = await startRedis(t)
    const all = await nodes(t, redis.url, 3, false, coalesceMs)
    const clients = await chat(t, all, 4, 6, 10)
    t.same(clients.flatMap((client) => client.problems), [], 'no duplicate, no reordering, every checksum intact')
    t.ok(clients.every((client) => client.received === 6 * 10), 'each client got its room\'s 60 messages')
    const total = all.map((node) => node.fanout.stats)
    t.equal(total.reduce((sum, s) => sum + s.published, 0), 24 * 10, 'every message went to the broker once')
    t.equal(total.reduce((sum, s) => sum + s.delivered, 0), 24 * 6 * 10, 'deliveries: 240 messages x 6 members')
    for (const [i, stats] of total.entries()) {
      // Each node has members in every room: each of the 240 messages is framed there once.
      t.equal(stats.framesBuilt, 240, `node ${i} built each frame once`)
      t.equal(stats.lost + stats.duplicates + stats.malformed + stats.skipped + stats.publishFailed, 0, `node ${i}: nothing lost`)
    }
  })
}
