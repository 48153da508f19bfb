// ConnectionSet (issue 15) on real connections: membership (one set per socket, delete, a
// destroyed socket is not kept), closeAll's report and its close frames (RFC 6455 §7.1.2,
// §7.4.1), a connection added while closeAll runs, and a connection that cannot send its close.
import { once } from 'node:events'
import { connect, type Socket } from 'node:net'
import t from 'tap'
import { type Closable, ConnectionSet, type DataReader } from '../src/index.js'
import { listening, netServer, until, wsClients } from './connection-helpers.js'
import { listen } from './helpers.js'

t.test('leaves on close, delete, one set per socket, a bad code rejects before anything is sent', async (t) => {
  const set = new ConnectionSet<DataReader>()
  const { port } = await listening(t, netServer(set))
  const codes = await wsClients(t, `ws://127.0.0.1:${port}/`, 2)
  await until(() => set.size === 2)
  const [first, second] = [...set]
  t.ok(set.has(first))
  t.equal(set.add(first), true, 'adding a member again keeps it')
  t.equal(set.size, 2, 'once')
  t.throws(() => new ConnectionSet().add(first), /another ConnectionSet/)
  await t.rejects(set.closeAll(999), RangeError)
  t.equal(set.size, 2, 'nothing closed')
  t.equal(set.delete(second), true)
  t.equal(set.has(second), false)
  t.equal(set.delete(second), false, 'a connection not in the set')
  t.equal(new ConnectionSet<Closable>().add(second), true, 'a deleted connection may join another set')
  second.close(1000)
  const report = await set.closeAll(4000, 'maintenance', 30_000)
  t.same(report, { clean: 1, cut: 0, unanswered: [] })
  t.same(await Promise.all(codes), [4000, 1000])
  t.same(await set.closeAll(), { clean: 0, cut: 0, unanswered: [] }, 'an empty set resolves at once')
})

t.test('a connection added while closeAll runs gets the same close frame and is waited for; a second closeAll returns the running one', async (t) => {
  const holding = new ConnectionSet<DataReader>()
  const { port } = await listening(t, netServer(holding))
  const codes = await wsClients(t, `ws://127.0.0.1:${port}/`, 3)
  await until(() => holding.size === 3)
  const [early, late] = [...holding]
  holding.delete(early)
  holding.delete(late)
  const set = new ConnectionSet<DataReader>()
  set.add(early)
  const report = set.closeAll(4001, 'moving', 30_000)
  t.equal(set.closeAll(), report, 'the running closeAll')
  t.equal(set.add(late), true, 'a handshake that finished late')
  t.same(await report, { clean: 2, cut: 0, unanswered: [] })
  t.equal(set.size, 0)
  t.equal(holding.size, 1, 'the third connection is still open')
  t.same(await holding.closeAll(1000, '', 30_000), { clean: 1, cut: 0, unanswered: [] })
  t.same((await Promise.all(codes)).sort(), [1000, 4001, 4001], 'the early and the late one got 4001')
})

t.test('a connection whose close throws is destroyed at once and reported as cut; a destroyed socket is not kept', async (t) => {
  const accepted: Socket[] = []
  const { port } = await listen(t, (socket) => accepted.push(socket))
  const peer = connect({ port, host: '127.0.0.1' })
  t.teardown(() => peer.destroy())
  peer.on('error', () => {})
  await until(() => accepted.length === 1)
  // A Closable of your own whose close frame cannot be sent.
  const broken: Closable = {
    socket: accepted[0],
    close() {
      throw new Error('no close frame today')
    },
  }
  const set = new ConnectionSet()
  t.equal(set.add(broken), true)
  const peerClosed = once(peer, 'close')
  t.same(await set.closeAll(1000, '', 30_000), { clean: 0, cut: 1, unanswered: [broken] })
  t.equal(broken.socket.destroyed, true)
  t.equal(set.size, 0)
  await peerClosed // the peer saw the TCP connection go
  t.equal(set.add(broken), false, 'its socket is destroyed: not kept')
  t.equal(set.size, 0)
})
