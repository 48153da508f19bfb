// The Fanout over NATS (Debian's nats-server, started here): the same chat as over Redis, and
// nats-server killed and started again.
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { setImmediate as tick } from 'node:timers/promises'
import { connect } from '@nats-io/transport-node'
import t from 'tap'
import { Fanout } from '../src/index.js'
import { NatsTransport } from '../src/nats-transport.js'
import { startNats } from './brokers.js'
import { Client, line } from './clients.js'
import { startNode } from './ws-node.js'

t.test('two nodes over NATS: every message once, in order; no echo of a node\'s own', async (t) => {
  const nats = await startNats(t)
  const transports = [await NatsTransport.connect({ servers: `127.0.0.1:${nats.port}` }), await NatsTransport.connect({ servers: `127.0.0.1:${nats.port}` })]
  t.teardown(() => Promise.all(transports.map((transport) => transport.close())))
  const [a, b] = [await startNode(t, { transport: transports[0]! }), await startNode(t, { transport: transports[1]! })]
  const clients = [await Client.connect(a.port, 'room.1', 'x'), await Client.connect(a.port, 'room.1', 'y'), await Client.connect(b.port, 'room.1', 'z')]
  t.teardown(() => Promise.all(clients.map((client) => client.close())))
  await Promise.all([a.joined('room.1', 2), b.joined('room.1', 1)])
  for (let seq = 1; seq <= 20; seq++) for (const client of clients) client.send(seq)
  await Promise.all(clients.map((client) => client.until(60)))
  t.same(clients.flatMap((client) => client.problems), [])
  t.match(a.fanout.stats, { published: 40, received: 20, delivered: 120, framesBuilt: 60, duplicates: 0, lost: 0 })
  t.match(b.fanout.stats, { published: 20, received: 40, delivered: 60, framesBuilt: 60, duplicates: 0, lost: 0 })
})

t.test('what the server refuses goes to onError: a subscription its permissions deny', async (t) => {
  const dir = mkdtempSync(join(tmpdir(), 'ws-fanout-nats-'))
  t.teardown(() => rmSync(dir, { recursive: true, force: true }))
  const config = join(dir, 'nats.conf')
  writeFileSync(config, 'authorization { users = [ { user: node, password: secret, permissions: { subscribe: { deny: ["ws-fanout:secret"] } } } ] }\n')
  const nats = await startNats(t, config)
  const errors: Error[] = []
  const transport = await NatsTransport.connect({ servers: `127.0.0.1:${nats.port}`, onError: (error) => errors.push(error), connectionOptions: { user: 'node', pass: 'secret' } })
  t.teardown(() => transport.close())
  const fanout = new Fanout({ transport })
  await fanout.subscribe('secret', { target: { write: () => true, writableLength: 0 } }).catch(() => {})
  while (errors.length === 0) await tick()
  t.match(errors[0], { message: /permissions violation/i }, 'the permissions violation was reported')
  // Without onError the same refusal is dropped quietly: nothing crashes, the connection lives on.
  const quiet = await NatsTransport.connect({ servers: `127.0.0.1:${nats.port}`, connectionOptions: { user: 'node', pass: 'secret' } })
  t.teardown(() => quiet.close())
  const refused = new Fanout({ transport: quiet })
  await refused.subscribe('secret', { target: { write: () => true, writableLength: 0 } })
  await new Promise((resolve) => setTimeout(resolve, 100))
  t.equal(await refused.publish('open', 'still here'), true, 'the connection still publishes')
})

t.test('nats-server killed and started again: the nodes recover, every message received or counted lost', async (t) => {
  const nats = await startNats(t)
  const errors: Error[] = []
  const connectOptions = { servers: `127.0.0.1:${nats.port}`, onError: (error: Error) => errors.push(error), connectionOptions: { reconnectTimeWait: 50 } }
  const transports = [await NatsTransport.connect(connectOptions), await NatsTransport.connect(connectOptions)]
  t.teardown(() => Promise.all(transports.map((transport) => transport.close())))
  const [a, b] = [await startNode(t, { transport: transports[0]! }), await startNode(t, { transport: transports[1]! })]
  const client = await Client.connect(b.port, 'room', 'c')
  t.teardown(() => client.close())
  await b.joined('room', 1)
  let seq = 0
  const send = () => a.fanout.publish('room', line('a', ++seq))
  for (let i = 0; i < 20; i++) await send()
  await client.until(20)
  await nats.stop()
  for (let i = 0; i < 50; i++) {
    await send()
    await tick()
  }
  await nats.start()
  const before = client.received
  while (client.received < before + 20) {
    await send()
    await new Promise((resolve) => setTimeout(resolve, 5))
  }
  await client.until(b.fanout.stats.received)
  const { stats } = b.fanout
  t.ok(transports.every((transport) => transport.reconnects >= 1), 'both reconnected')
  t.ok(errors.length > 0, 'the lost connection was reported, and crashed nothing')
  t.equal(stats.received + stats.lost, client.last.get('a'), `received ${stats.received}, lost ${stats.lost}: none unaccounted`)
  t.equal(stats.duplicates, 0)
  t.equal(client.received, stats.received)
  t.ok(a.fanout.stats.publishFailed > 0, `${a.fanout.stats.publishFailed} publishes refused while the connection was down (not buffered without bound)`)
  t.equal(a.fanout.stats.published + a.fanout.stats.publishFailed, seq, 'every publish either taken or counted')
  await transports[0]!.close()
  t.equal(await a.fanout.publish('room', 'after'), false, 'a publish on a closed connection is refused')
})

t.test('subjects are plain: a wildcard would mix other topics in', async (t) => {
  const nats = await startNats(t)
  const transport = await NatsTransport.connect({ servers: `127.0.0.1:${nats.port}` })
  t.teardown(() => transport.close())
  const fanout = new Fanout({ transport })
  const member = { target: { write: () => true, writableLength: 0 } }
  for (const topic of ['team.>', 'team.*', 'a b', 'a..b']) {
    await t.rejects(fanout.subscribe(topic, member), TypeError, `subscribe ${JSON.stringify(topic)}`)
    t.equal(await fanout.publish(topic, 'x'), false, `publish ${JSON.stringify(topic)}`)
  }
  t.equal(fanout.members('team.>'), 0)
})

t.test('closing while nats-server is away ends at once', async (t) => {
  const nats = await startNats(t)
  const transport = await NatsTransport.connect({ servers: `127.0.0.1:${nats.port}`, connectionOptions: { reconnectTimeWait: 50 } })
  await nats.stop()
  while (transport.up) await tick()
  await transport.close()
  t.pass('closed without waiting for the server')
})

t.test('a connection given to the transport stays the caller\'s', async (t) => {
  const nats = await startNats(t)
  const connection = await connect({ servers: `127.0.0.1:${nats.port}` })
  t.teardown(() => connection.close())
  const transport = new NatsTransport(connection)
  const fanout = new Fanout({ transport })
  const written: Uint8Array[] = []
  await fanout.subscribe('g', { target: { write: (frame) => written.push(frame) > 0, writableLength: 0 } })
  const other = await NatsTransport.connect({ servers: `127.0.0.1:${nats.port}` })
  t.teardown(() => other.close())
  await new Fanout({ transport: other }).publish('g', 'over')
  while (written.length === 0) await tick()
  t.same([...written[0]!], [0x81, 4, ...Buffer.from('over')])
  await fanout.close()
  await transport.close()
  t.equal(connection.isClosed(), false, 'still open')
})
