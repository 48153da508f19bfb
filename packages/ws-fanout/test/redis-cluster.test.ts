// Sharded pub/sub on a real Redis Cluster: three redis-server masters (cluster mode, started
// here on loopback ports of their own) joined by redis-cli --cluster create; each node's
// RedisTransport is given a createCluster client, which routes SPUBLISH and SSUBSCRIBE to the
// shard that owns each channel's slot.
import { execFile } from 'node:child_process'
import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { promisify } from 'node:util'
import { createCluster } from '@redis/client'
import t from 'tap'
import { RedisTransport } from '../src/redis-transport.js'
import { startRedis } from './brokers.js'
import { Client } from './clients.js'
import { startNode } from './ws-node.js'

t.test('rooms spread over three shards: every message once, in order, each through its own shard', async (t) => {
  const dir = mkdtempSync(join(tmpdir(), 'ws-fanout-cluster-'))
  t.teardown(() => rmSync(dir, { recursive: true, force: true }))
  const masters = []
  for (let i = 0; i < 3; i++) masters.push(await startRedis(t, ['--cluster-enabled', 'yes', '--cluster-config-file', join(dir, `nodes-${i}.conf`)]))
  const addresses = masters.map((master) => `127.0.0.1:${master.port}`)
  await promisify(execFile)('/usr/bin/redis-cli', ['--cluster', 'create', ...addresses, '--cluster-replicas', '0', '--cluster-yes'])
  // Wait for the cluster to agree that every slot is served.
  for (;;) {
    const { stdout } = await promisify(execFile)('/usr/bin/redis-cli', ['-p', String(masters[0]!.port), 'cluster', 'info'])
    if (/cluster_state:ok/.test(stdout)) break
    await new Promise((resolve) => setTimeout(resolve, 100))
  }
  const nodes = []
  for (let i = 0; i < 3; i++) {
    const cluster = createCluster({ rootNodes: masters.map((master) => ({ url: master.url })) })
    cluster.on('error', () => {})
    await cluster.connect()
    t.teardown(() => cluster.close())
    nodes.push(await startNode(t, { transport: new RedisTransport(cluster, cluster, true), name: `node${i}` }))
  }
  // Six rooms, whose channels hash to slots on different shards.
  const rooms = ['a', 'b', 'c', 'd', 'e', 'f']
  const clients: Client[] = []
  for (const [r, room] of rooms.entries()) for (let c = 0; c < 3; c++) clients.push(await Client.connect(nodes[(r + c) % 3]!.port, room, `${room}${c}`))
  t.teardown(() => Promise.all(clients.map((client) => client.close())))
  for (const room of rooms) for (const node of nodes) await node.joined(room, 1)
  for (let seq = 1; seq <= 10; seq++) for (const client of clients) client.send(seq)
  await Promise.all(clients.map((client) => client.until(30)))
  t.same(clients.flatMap((client) => client.problems), [], 'every message once, in order, intact')
  t.equal(nodes.reduce((sum, node) => sum + node.fanout.stats.received, 0), 18 * 10 * 2, 'each message reached the two other nodes')
  // Each master served the shard channels of its own slots only.
  const served = []
  for (const master of masters) {
    const { stdout } = await promisify(execFile)('/usr/bin/redis-cli', ['-p', String(master.port), 'pubsub', 'shardchannels'])
    served.push(stdout.split('\n').filter(Boolean).length)
  }
  t.equal(served.reduce((sum, n) => sum + n, 0), rooms.length, `the six rooms' channels live on the shards that own them (${served.join(', ')})`)
  t.ok(served.filter((n) => n > 0).length >= 2, 'on more than one shard')
})
