import t from 'tap'
import { encodeCloseBody, OpCode } from '@ws-toolkit/ws-core'
import { CloseError, closeReplyCode, handleControlMessage, PongGate } from '../src/index.js'
import { Sink } from './helpers.js'

t.test('handleControlMessage: ping answered, pong ignored, close returned (RFC 6455 §5.5)', async (t) => {
  const pongs: string[] = []
  const pong = (payload: Uint8Array) => pongs.push(Buffer.from(payload).toString())
  t.equal(handleControlMessage(OpCode.Ping, Buffer.from('hi'), pong), null)
  t.equal(handleControlMessage(OpCode.Pong, Buffer.from('ho'), pong), null)
  t.same(pongs, ['hi'])
  const closed = handleControlMessage(OpCode.Close, encodeCloseBody(1001, 'away'), pong)
  t.ok(closed instanceof CloseError)
  t.match(closed, { closeCode: 1001, reason: 'away' })
  t.equal(closeReplyCode(closed!), 1001)
  t.equal(closeReplyCode(handleControlMessage(OpCode.Close, new Uint8Array(0), pong)!), undefined, '1005 is never sent (§7.4.1)')
})

t.test('PongGate: sends at once while the socket keeps up, the latest one on drain, none once stopped', async (t) => {
  const sink = new Sink(1)
  const sent: string[] = []
  const gate = new PongGate(sink, (payload) => sent.push(Buffer.from(payload).toString()))
  gate.pong(Buffer.from('a'))
  sink.hold = true
  sink.write(Buffer.from('fill'))
  gate.pong(Buffer.from('b'))
  const ping = Buffer.from('c')
  gate.pong(ping)
  ping[0] = 0x7a // the caller reuses its bytes: the gate kept a copy
  t.same(sent, ['a'])
  sink.release()
  await new Promise((r) => setImmediate(r))
  t.same(sent, ['a', 'c'])
  gate.stop()
  gate.pong(Buffer.from('d'))
  t.same(sent, ['a', 'c'])
})
