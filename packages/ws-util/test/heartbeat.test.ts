import { once } from 'node:events'
import { connect } from 'node:net'
import t, { type Test } from 'tap'
import WebSocket from 'ws'
import { OpCode, Upgrader } from '@ws-toolkit/ws-core'
import { acceptSocket, DataReader, readClientData, startHeartbeat } from '../src/index.js'
import { listen, sampleRequest } from './helpers.js'

/** A server whose connections run a heartbeat, reporting pings, pongs and timeouts. */
async function server(t: Test, timeoutMs: number) {
  const events: string[] = []
  const { port } = await listen(t, async (socket) => {
    const accepted = await acceptSocket(socket, new Upgrader())
    const heartbeat = startHeartbeat({
      intervalMs: 20,
      timeoutMs,
      ping: () => {
        events.push('ping')
        reader.writer.writeControl(OpCode.Ping, new Uint8Array(0))
      },
      onTimeout: () => {
        events.push('timeout')
        accepted.socket.destroy()
      },
    })
    const reader: DataReader = readClientData(accepted.socket, accepted.head, {
      onMessage: () => {},
      onControl: (data, opCode, payload) => {
        if (opCode === OpCode.Pong) {
          events.push('pong')
          heartbeat.pong()
        }
        DataReader.defaultControl(data, opCode, payload)
      },
      onClose: () => heartbeat.stop(),
    })
  })
  return { port, events }
}

t.test('a peer that answers pings keeps the connection; stop() ends the pings', async (t) => {
  // A long timeout: a busy machine must not make this peer look dead.
  const { port, events } = await server(t, 10000)
  const ws = new WebSocket(`ws://127.0.0.1:${port}/`)
  t.teardown(() => ws.terminate())
  await once(ws, 'open')
  while (events.filter((e) => e === 'pong').length < 5) await new Promise((r) => setTimeout(r, 10))
  t.notOk(events.includes('timeout'), 'no timeout while pongs come back')
  ws.close()
  await once(ws, 'close')
  const count = events.length
  await new Promise((r) => setTimeout(r, 100))
  t.equal(events.length, count, 'nothing runs after the connection ended')
})

t.test('a peer that never answers is given up on', async (t) => {
  const { port, events } = await server(t, 60)
  const peer = connect(port, '127.0.0.1')
  t.teardown(() => peer.destroy())
  peer.write(sampleRequest)
  peer.resume() // reads the pings, never answers
  await once(peer, 'close')
  t.equal(events.at(-1), 'timeout')
  t.ok(events.filter((e) => e === 'ping').length >= 1)
})

t.test('invalid intervals are refused', async (t) => {
  const options = { ping: () => {}, onTimeout: () => {} }
  t.throws(() => startHeartbeat({ ...options, intervalMs: 0, timeoutMs: 10 }), RangeError)
  t.throws(() => startHeartbeat({ ...options, intervalMs: 10, timeoutMs: Number.NaN }), RangeError)
})
