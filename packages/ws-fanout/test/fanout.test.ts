// The Fanout's rules, with Redis (Debian's redis-server, started here) as the broker and real
// sockets as subscribers: options, publishing, slow subscribers under each policy, what comes
// from the broker that is not one of ours, subscriptions made and dropped in order, close.
import { constants as zlibConstants, inflateRawSync } from 'node:zlib'
import { setImmediate as tick } from 'node:timers/promises'
import { createClient } from '@redis/client'
import t, { type Test } from 'tap'
import { OpCode, Rsv1 } from '@ws-toolkit/ws-core'
import { deflateOffer } from '@ws-toolkit/ws-flate'
import { CloseError, dial, readServerData } from '@ws-toolkit/ws-util'
import { decodeEnvelope, encodeEnvelope, encodeOrigin, Fanout, type FanoutTransport, type Subscriber } from '../src/index.js'
import { RedisTransport } from '../src/redis-transport.js'
import { type Broker, freePort, startRedis } from './brokers.js'
import { Client, line } from './clients.js'
import { loopback } from './loopback-transport.js'
import { startNode } from './ws-node.js'

let redis: Broker
t.before(async () => {
  redis = await startRedis(t)
})

async function transport(t: Test, options: { sharded?: boolean } = {}): Promise<RedisTransport> {
  const made = await RedisTransport.connect({ url: redis.url, ...options })
  t.teardown(() => made.close())
  return made
}

/** A raw Redis client of the test's own, to look at the server and to publish what no Fanout would. */
async function raw(t: Test) {
  const client = createClient({ url: redis.url })
  client.on('error', () => {})
  await client.connect()
  t.teardown(() => client.close())
  return client
}

t.test('options are checked', async (t) => {
  const broker = await transport(t)
  t.throws(() => new Fanout({ transport: broker, slow: 1000 as 1008 }), RangeError)
  t.throws(() => new Fanout({ transport: broker, maxBuffered: -1 }), RangeError)
  t.throws(() => new Fanout({ transport: broker, maxMessageSize: 1.5 }), RangeError)
  t.throws(() => new Fanout({ transport: broker, name: 'x'.repeat(201) }), RangeError)
  t.match(new Fanout({ transport: broker, name: 'edge-1' }).id, /^edge-1:[0-9a-f]{16}$/, 'the name, then a random part')
  const closing = new Fanout({ transport: broker, slow: 1013 })
  const target = { write: () => true, writableLength: 0 }
  t.throws(() => closing.subscribe('room', { target }), TypeError, 'the close policies need a close')
  t.equal(closing.members('room'), 0)
})

t.test('publish: text and binary, checked, copied, delivered locally at once and to the other node once', async (t) => {
  const [a, b] = [await startNode(t, { transport: await transport(t), maxMessageSize: 1000 }), await startNode(t, { transport: await transport(t) })]
  const [onA, onB] = [await Client.connect(a.port, 'r', 'x'), await Client.connect(b.port, 'r', 'y')]
  t.teardown(() => Promise.all([onA.close(), onB.close()]))
  await Promise.all([a.joined('r', 1), b.joined('r', 1)])
  const bytes = Buffer.from(line('app', 1))
  const published = a.fanout.publish('r', bytes, false)
  bytes.fill(0) // copied before publish returned
  t.equal(onA.received, 0, 'the local frame is written, not yet read')
  t.equal(await published, true, 'the broker took it')
  t.equal(await a.fanout.publish('r', line('app', 2)), true, 'a string is a text message')
  t.equal(await a.fanout.publish('r', Uint8Array.of(1, 2, 3)), true, 'bytes are binary by default')
  await Promise.all([onA.until(2), onB.until(2)])
  while (onB.binaries.length === 0) await tick()
  t.same([...onB.binaries[0]!], [1, 2, 3])
  t.same([onA.problems, onB.problems], [[], []])
  t.throws(() => a.fanout.publish('r', Uint8Array.of(0xc3, 0x28), false), TypeError, 'text must be UTF-8')
  t.throws(() => a.fanout.publish('r', new Uint8Array(1001)), RangeError, 'over maxMessageSize')
  t.match(a.fanout.stats, { published: 3, received: 0, delivered: 3, framesBuilt: 3 }, 'its own copy from the broker is not delivered twice')
  t.match(b.fanout.stats, { published: 0, received: 3, delivered: 3, framesBuilt: 3, lost: 0, duplicates: 0 })
  t.equal(await a.fanout.publish('nobody', 'hello'), true, 'a topic without members anywhere')
  t.equal(a.fanout.stats.framesBuilt, 3, 'nothing is framed for a topic without local members')
})

/** slowPeer dials `port` in `room` and does not read, until resumed by reading with the returned function. */
async function slowPeer(port: number, room: string) {
  const { socket, head } = await dial(`ws://127.0.0.1:${port}/room/${room}`)
  socket.pause()
  return {
    socket,
    /** read reads everything now: the messages that waited, then the close. */
    read: () => new Promise<{ messages: number; closed: Error }>((resolve) => {
      let messages = 0
      readServerData(socket, head, {
        onMessage: (opCode) => opCode === OpCode.Binary && messages++,
        onClose: (closed) => resolve({ messages, closed }),
      })
    }),
  }
}

/** flood publishes 256 KiB messages until `done`, at most 400 of them (100 MiB), letting the sockets write between them. */
async function flood(fanout: Fanout, room: string, done: () => boolean): Promise<number> {
  let sent = 0
  const payload = new Uint8Array(256 * 1024)
  while (!done() && sent < 400) {
    void fanout.publish(room, payload)
    sent++
    await tick()
  }
  return sent
}

for (const slow of ['skip', 1008, 1013] as const) {
  t.test(`a subscriber that does not read: slow policy ${slow}`, async (t) => {
    const seen: string[] = []
    const node = await startNode(t, { transport: await transport(t), slow, maxBuffered: 64 * 1024, compression: false, onSlow: (_, topic) => seen.push(topic) })
    const peer = await slowPeer(node.port, 'flood')
    const reader = await Client.connect(node.port, 'flood', 'reader')
    t.teardown(() => reader.close())
    await node.joined('flood', 2)
    const stats = node.fanout.stats
    const sent = await flood(node.fanout, 'flood', () => stats.skipped + stats.closed > 0)
    t.ok(sent < 400, `found slow after ${sent} messages`)
    t.equal(seen[0], 'flood', 'onSlow was told, with the topic')
    if (slow === 'skip') {
      t.equal(stats.closed, 0)
      t.equal(node.fanout.members('flood'), 2, 'still a member: it may catch up')
      peer.socket.destroy()
    } else {
      t.equal(stats.closed, 1)
      t.equal(stats.skipped, 0)
      t.equal(node.fanout.members('flood'), 1, 'unsubscribed from the topic at once')
      const { messages, closed } = await peer.read()
      t.ok(closed instanceof CloseError && closed.closeCode === slow, `closed with ${slow} after the ${messages} messages that were queued`)
      t.ok(messages > 0 && messages < sent, 'it got what was written before, then nothing')
    }
    while (reader.binaries.length < sent) await tick()
    t.equal(reader.binaries.length, sent, 'the subscriber that reads got every message')
  })
}

t.test('from the broker: what is not ours is dropped and counted; gaps are losses, replays duplicates', async (t) => {
  const node = await startNode(t, { transport: await transport(t), maxMessageSize: 200 })
  const client = await Client.connect(node.port, 'room', 'c')
  t.teardown(() => client.close())
  await node.joined('room', 1)
  const redisClient = await raw(t)
  const origin = encodeOrigin('elsewhere:01')
  const envelope = (sequence: number, text: string | Uint8Array) => Buffer.from(encodeEnvelope(origin, sequence, typeof text !== 'string', typeof text === 'string' ? Buffer.from(text) : text))
  const sends = [
    Buffer.from('not an envelope'),
    envelope(1, line('elsewhere', 1)),
    envelope(2, 'x'.repeat(201)), // too large: malformed, and its number never counts
    Buffer.from(encodeEnvelope(origin, 3, false, Uint8Array.of(0xff))), // text that is not UTF-8
    envelope(1, line('elsewhere', 1)), // a replay
    envelope(5, line('elsewhere', 2)), // 2, 3 and 4 dropped above, never seen as received: 3 lost
  ]
  for (const message of sends) await redisClient.publish('ws-fanout:room', message)
  await client.until(2)
  t.same(client.problems, [])
  t.match(node.fanout.stats, { malformed: 3, duplicates: 1, lost: 3, received: 2, delivered: 2 })
})

t.test('subscriptions follow the members, in order, and close unsubscribes', async (t) => {
  const broker = await transport(t)
  const fanout = new Fanout({ transport: broker })
  const redisClient = await raw(t)
  const count = async (topic: string) => Number((await redisClient.pubSubNumSub(`ws-fanout:${topic}`))[`ws-fanout:${topic}`])
  const written: Uint8Array[] = []
  const one: Subscriber = { target: { write: (frame) => written.push(frame) > 0, writableLength: 0 } }
  const two: Subscriber = { target: { write: () => true, writableLength: 0 } }
  // Made and dropped before the broker answered, then made again: the last word wins.
  const first = fanout.subscribe('a', one)
  t.equal(fanout.unsubscribe('a', one), true)
  t.equal(fanout.unsubscribe('a', one), false, 'not a member any more')
  await Promise.all([first, fanout.subscribe('a', one), fanout.subscribe('a', two), fanout.subscribe('b', one)])
  t.same([await count('a'), await count('b'), fanout.members('a')], [1, 1, 2])
  t.equal(fanout.unsubscribeAll(one), 2)
  t.equal(fanout.unsubscribeAll(one), 0)
  await fanout.subscribe('a', two) // settles after the unsubscribe of b
  t.same([await count('a'), await count('b')], [1, 0], 'b had no member left')
  await fanout.close()
  t.equal(fanout.members('a'), 0)
  while ((await count('a')) > 0) await tick() // close sends the unsubscribes without waiting
  t.pass('close unsubscribed the rest')
  t.same(written, [], 'nothing was published')
})

t.test('a broker that refuses: the subscribe rejects and the topic is dropped; a failed publish is counted and delivered locally', async (t) => {
  const errors: unknown[] = []
  const refusing: FanoutTransport = {
    publish: () => Promise.reject(new Error('away')),
    subscribe: () => Promise.reject(new Error('no')),
    unsubscribe: () => Promise.reject(new Error('no')),
    close: async () => {},
  }
  const fanout = new Fanout({ transport: refusing, onError: (error) => errors.push(error) })
  const written: Uint8Array[] = []
  const member: Subscriber = { target: { write: (frame) => written.push(frame) > 0, writableLength: 0 } }
  const subscribed = fanout.subscribe('a', member)
  t.equal(fanout.members('a'), 1)
  t.equal(await fanout.publish('a', 'hi'), false, 'the broker did not take it')
  t.same(written.map((frame) => [...frame]), [[0x81, 2, 0x68, 0x69]], 'the local member got it')
  await t.rejects(subscribed, { message: 'no' })
  t.equal(fanout.members('a'), 0, 'the topic was dropped')
  t.equal(fanout.unsubscribeAll(member), 0, 'and the member forgotten')
  t.match(fanout.stats, { publishFailed: 1, published: 0 })
  t.match(errors, [{ message: 'away' }])
  const throwing = new Fanout({ transport: { ...refusing, publish: () => { throw new Error('thrown') } }, onError: (error) => errors.push(error) })
  t.equal(await throwing.publish('a', 'hi'), false, 'a transport that throws is a refusal too, not an exception')
  errors.pop()
  fanout.subscribe('b', member).catch(() => {})
  fanout.unsubscribe('b', member)
  await fanout.close()
  while (errors.length < 2) await tick()
  t.match(errors, [{ message: 'away' }, { message: 'no' }], 'the failed unsubscribe went to onError')
})

t.test('redis-server killed and started again: the nodes recover and every message is received or counted lost', async (t) => {
  const own = await startRedis(t)
  const errors: Error[] = []
  const connect = async (reconnectStrategy?: number | ((retries: number) => number)) => {
    const made = await RedisTransport.connect({ url: own.url, onError: (error) => errors.push(error), clientOptions: reconnectStrategy === undefined ? {} : { socket: { reconnectStrategy } } })
    t.teardown(() => made.close())
    return made
  }
  // Each reconnects its way: every 50 ms, by a function, and by the default backoff.
  const [sending, receiving, idle] = [await connect(50), await connect((retries) => 20 * (retries + 1)), await connect()]
  const a = await startNode(t, { transport: sending, name: 'a' })
  const b = await startNode(t, { transport: receiving, name: 'b' })
  const client = await Client.connect(b.port, 'room', 'c')
  t.teardown(() => client.close())
  await b.joined('room', 1)
  let seq = 0
  const send = () => a.fanout.publish('room', line('a', ++seq))
  // Before: all through.
  for (let i = 0; i < 20; i++) await send()
  await client.until(20)
  await own.stop()
  // While Redis is away: publishes fail at once, counted.
  while (a.fanout.stats.publishFailed < 20) await send()
  t.equal(sending.ready, false, 'not ready while Redis is away')
  await own.start()
  // After: keep publishing until the receiving node's resubscription lets them through again.
  const before = client.received
  while (client.received < before + 20) {
    await send()
    await new Promise((resolve) => setTimeout(resolve, 5))
  }
  const last = seq
  await client.until(b.fanout.stats.received)
  const { stats } = b.fanout
  t.ok(sending.reconnects >= 1 && receiving.reconnects >= 1, 'both transports reconnected')
  t.ok(sending.ready && receiving.ready, 'and are ready')
  while (!idle.ready) await new Promise((resolve) => setTimeout(resolve, 50))
  t.ok(idle.reconnects >= 1, 'the default backoff reconnected too')
  t.ok(errors.length > 0, 'the connection errors went to onError, and crashed nothing')
  t.ok(a.fanout.stats.publishFailed >= 20, `${a.fanout.stats.publishFailed} publishes refused while Redis was away`)
  t.equal(a.fanout.stats.published + a.fanout.stats.publishFailed, last, 'every publish either taken or counted')
  // Every number up to the last one received is accounted for: received, or counted lost.
  t.equal(stats.received + stats.lost, client.last.get('a'), `received ${stats.received}, lost ${stats.lost}: none unaccounted`)
  t.ok(stats.lost >= a.fanout.stats.publishFailed, 'at least the refused ones are counted lost at the receiver')
  t.equal(stats.duplicates, 0)
  t.same(client.problems.filter((problem) => !/ after #/.test(problem)), [], 'no checksum or kind problem')
  t.equal(client.received, stats.received, 'the client got exactly what the node received')
})

t.test('sharded pub/sub (SPUBLISH, SSUBSCRIBE): the same chat', async (t) => {
  const a = await startNode(t, { transport: await transport(t, { sharded: true }) })
  const b = await startNode(t, { transport: await transport(t, { sharded: true }) })
  const clients = [await Client.connect(a.port, 's', 'x'), await Client.connect(b.port, 's', 'y')]
  t.teardown(() => Promise.all(clients.map((client) => client.close())))
  await Promise.all([a.joined('s', 1), b.joined('s', 1)])
  const redisClient = await raw(t)
  t.same(await redisClient.pubSubShardNumSub('ws-fanout:s'), { 'ws-fanout:s': 2 }, 'two shard channel subscribers')
  for (let seq = 1; seq <= 10; seq++) for (const client of clients) client.send(seq)
  await Promise.all(clients.map((client) => client.until(20)))
  t.same(clients.flatMap((client) => client.problems), [])
  t.equal(a.fanout.stats.received + b.fanout.stats.received, 20)
})

t.test('compression: one compressed frame for every subscriber without server context takeover', async (t) => {
  const a = await startNode(t, { transport: await transport(t) })
  const b = await startNode(t, { transport: await transport(t) })
  const options = [
    { perMessageDeflate: { serverNoContextTakeover: true, threshold: 0 } },
    { perMessageDeflate: { serverNoContextTakeover: true, threshold: 0 } },
    { perMessageDeflate: { threshold: 0 } }, // context takeover: uncompressed frames
    {},
  ]
  const clients: Client[] = []
  for (const [i, option] of options.entries()) clients.push(await Client.connect(b.port, 'z', `c${i}`, option))
  const speaker = await Client.connect(a.port, 'z', 'speaker')
  t.teardown(() => Promise.all([...clients, speaker].map((client) => client.close())))
  await Promise.all([a.joined('z', 1), b.joined('z', 4)])
  for (let seq = 1; seq <= 10; seq++) speaker.send(seq, 2000)
  await Promise.all([...clients, speaker].map((client) => client.until(10)))
  t.same([...clients, speaker].flatMap((client) => client.problems), [])
  t.equal(b.fanout.stats.framesBuilt, 20, 'per message: one compressed frame, one plain, for four subscribers')
  t.equal(b.fanout.stats.delivered, 40)
  // A raw subscriber of its own that offered server_no_context_takeover with a 10-bit window: it sees the RSV1 frames themselves.
  const { socket, head, extensions } = await dial(`ws://127.0.0.1:${b.port}/room/z`, { extensions: [deflateOffer({ serverNoContextTakeover: true, serverMaxWindowBits: 10 })] })
  t.match(extensions[0]?.params, [{ name: 'server_no_context_takeover' }, { name: 'server_max_window_bits', value: '10' }], 'the node agreed')
  const frames: { compressed: boolean; data: Buffer }[] = []
  readServerData(socket, head, { onMessage: (_, data, compressed) => frames.push({ compressed, data: Buffer.from(data) }) }, { allowedRsv: Rsv1 })
  t.teardown(() => socket.destroy())
  await b.joined('z', 5)
  speaker.send(11, 2000)
  while (frames.length === 0) await tick()
  t.equal(frames[0]!.compressed, true, 'RSV1 set')
  const text = inflateRawSync(Buffer.concat([frames[0]!.data, Buffer.of(0, 0, 0xff, 0xff)]), { windowBits: 10, finishFlush: zlibConstants.Z_SYNC_FLUSH })
  t.match(JSON.parse(text.toString()), { from: 'speaker', seq: 11 }, 'inflates with its 10-bit window')
  t.ok(frames[0]!.data.length < text.length / 4, `${frames[0]!.data.length} bytes for ${text.length}`)
  t.equal(b.fanout.stats.framesBuilt, 23, 'message 11: plain, 15-bit and 10-bit frames')
})

t.test('the transport owns nothing it was given', async (t) => {
  const publisher = await raw(t)
  const subscriber = await raw(t)
  const given = new RedisTransport(publisher, subscriber)
  const fanout = new Fanout({ transport: given })
  const written: Uint8Array[] = []
  await fanout.subscribe('g', { target: { write: (frame) => written.push(frame) > 0, writableLength: 0 } })
  const other = new Fanout({ transport: await transport(t) })
  t.equal(await other.publish('g', 'over'), true)
  while (written.length === 0) await tick()
  t.same([...written[0]!], [0x81, 4, ...Buffer.from('over')])
  await fanout.close()
  await given.close()
  t.equal(await publisher.ping(), 'PONG', 'still open after close')
})

t.test('connect to a Redis that is not there rejects, leaving nothing open', async (t) => {
  const port = await freePort()
  await t.rejects(RedisTransport.connect({ url: `redis://127.0.0.1:${port}` }), { message: /ECONNREFUSED/ }, 'at once, not retried for ever')
})

t.test('a message published from inside a delivery: after the one being delivered, everywhere', async (t) => {
  const { transport, published } = loopback()
  const fanout = new Fanout({ transport })
  const seen: string[] = []
  let announced = false
  const record = (name: string) => (frame: Uint8Array) => seen.push(`${name}:${Buffer.from(frame.subarray(2)).toString()}`) > 0
  // The first member announces something the first time it is written to (a close handler would).
  await fanout.subscribe('room', { target: { write: (frame) => { record('one')(frame); if (!announced) { announced = true; void fanout.publish('room', 'second') } return true }, writableLength: 0 } })
  await fanout.subscribe('room', { target: { write: record('two'), writableLength: 0 } })
  await fanout.publish('room', 'first')
  t.same(seen, ['one:first', 'two:first', 'one:second', 'two:second'], 'every member: first, then second')
  t.same(published.map(([, envelope]) => [decodeEnvelope(envelope)!.sequence, Buffer.from(decodeEnvelope(envelope)!.payload).toString()]), [[1, 'first'], [2, 'second']], 'the broker got them in their order and numbers too')
})

t.test('a subscriber that throws does not keep the message from the others', async (t) => {
  const { transport } = loopback()
  const errors: unknown[] = []
  const fanout = new Fanout({ transport, onError: (error) => errors.push(error) })
  const written: Uint8Array[] = []
  await fanout.subscribe('room', { target: { write: () => { throw new Error('broken target') }, writableLength: 0 } })
  await fanout.subscribe('room', { target: { write: (frame) => written.push(frame) > 0, writableLength: 0 } })
  t.equal(await fanout.publish('room', 'hi'), true)
  t.equal(written.length, 1, 'the other member got it')
  t.match(fanout.stats, { failed: 1, delivered: 1 })
  t.match(errors, [{ message: 'broken target' }])
})

t.test('messages in flight for a subscription that ended are not counted, and a new one starts afresh', async (t) => {
  const { transport, listeners } = loopback()
  const fanout = new Fanout({ transport })
  const member: Subscriber = { target: { write: () => true, writableLength: 0 } }
  const origin = encodeOrigin('other:01')
  await fanout.subscribe('room', member)
  const first = listeners.get('ws-fanout:room')!
  first(encodeEnvelope(origin, 1, false, Buffer.from('one')))
  fanout.unsubscribe('room', member)
  first(encodeEnvelope(origin, 2, false, Buffer.from('late'))) // the broker had it on its way
  t.match(fanout.stats, { received: 1, delivered: 1 }, 'the late one is not received')
  await fanout.subscribe('room', member)
  first(encodeEnvelope(origin, 3, false, Buffer.from('stale listener')))
  listeners.get('ws-fanout:room')!(encodeEnvelope(origin, 50, false, Buffer.from('back')))
  t.match(fanout.stats, { received: 2, delivered: 2, lost: 0, duplicates: 0 }, 'only the new subscription counts, and what was published meanwhile is not lost')
})

t.test('close while Redis is away: the Fanout and the transport end at once', async (t) => {
  const own = await startRedis(t)
  const made = await RedisTransport.connect({ url: own.url })
  const fanout = new Fanout({ transport: made })
  await fanout.subscribe('room', { target: { write: () => true, writableLength: 0 } })
  await own.stop()
  while (made.ready) await tick()
  await fanout.close()
  await made.close()
  t.equal(made.ready, false)
  t.pass('closed without waiting for Redis')
})

t.test('a broker message arriving during a delivery waits its turn, copied', async (t) => {
  const { transport, listeners } = loopback()
  const fanout = new Fanout({ transport })
  const seen: string[] = []
  let nested = false
  await fanout.subscribe('room', {
    target: {
      write: (frame) => {
        seen.push(Buffer.from(frame.subarray(2)).toString())
        if (!nested) {
          nested = true
          // A transport that calls its listener synchronously, from inside this write.
          const lent = Buffer.from(encodeEnvelope(encodeOrigin('other:01'), 1, false, Buffer.from('nested')))
          listeners.get('ws-fanout:room')!(lent)
          lent.fill(0) // the transport reuses its buffer after the call
        }
        return true
      },
      writableLength: 0,
    },
  })
  await fanout.publish('room', 'outer')
  t.same(seen, ['outer', 'nested'])
})
