import t from 'tap'
import { encodeCloseBody, OpCode } from '@ws-toolkit/ws-core'
import { AbnormalClosureError, CloseError, handleControlMessage, MessageReader, readClientData } from '../src/index.js'
import { withoutStack } from '../src/quiet-error.js'
import { tick, Wire } from './helpers.js'

// Issue 14: the errors a connection ends with normally carry no stack (its capture was a sixth
// of a short connection's server CPU); other errors keep theirs.

t.test('the peer\'s close and a lost socket end readers with errors that have no stack frames', async (t) => {
  const closed = handleControlMessage(OpCode.Close, encodeCloseBody(1000, 'bye'), () => {})!
  t.ok(closed instanceof CloseError)
  t.equal(closed.stack, 'CloseError: connection closed by the peer with 1000: bye', 'no "at ..." lines')
  const wire = new Wire()
  const reasons: Error[] = []
  readClientData(wire, new Uint8Array(0), { onMessage() {}, onClose: (reason) => reasons.push(reason) })
  await tick()
  wire.destroy()
  await tick()
  t.equal(reasons.length, 1)
  t.ok(reasons[0] instanceof AbnormalClosureError)
  t.notMatch(reasons[0]!.stack ?? '', /\n\s+at /, 'no frames')
  t.match(new Error('elsewhere').stack ?? '', /\n\s+at /, 'other errors keep theirs')
})

t.test('withoutStack puts Error.stackTraceLimit back, even when making the error throws', async (t) => {
  const limit = Error.stackTraceLimit
  t.throws(() => withoutStack(() => { throw new RangeError('bad') }), RangeError)
  t.equal(Error.stackTraceLimit, limit)
})

t.test('end() is once: a second end, from the caller or the socket, changes nothing', async (t) => {
  const wire = new Wire()
  const reasons: Error[] = []
  const data = readClientData(wire, new Uint8Array(0), { onMessage() {}, onClose: (reason) => reasons.push(reason) })
  const first = new Error('first')
  data.end(first)
  data.end(new Error('second'))
  wire.destroy()
  await tick()
  t.same(reasons, [first])
  const streamWire = new Wire()
  const reader = new MessageReader(streamWire, new Uint8Array(0), { side: 'server' })
  reader.end(first)
  reader.end(new Error('second'))
  await t.rejects(reader.next(), first)
  streamWire.destroy()
})
