import fc from 'fast-check'
import t from 'tap'
import { decodeEnvelope, encodeEnvelope, encodeOrigin, envelopeVersion } from '../src/envelope.js'

t.test('an envelope reads back what was written, the payload a view of the buffer', async (t) => {
  const bytes = encodeEnvelope(encodeOrigin('node-a:0011'), 42, true, Uint8Array.of(1, 2, 3))
  t.same([...bytes.subarray(0, 3)], [envelopeVersion, 1, 11], 'version, flags (binary), origin length')
  t.same([...bytes.subarray(14, 22)], [0, 0, 0, 0, 0, 0, 0, 42], 'the sequence, 8 bytes big-endian')
  const envelope = decodeEnvelope(bytes)!
  t.same({ ...envelope, payload: [...envelope.payload] }, { binary: true, origin: 'node-a:0011', sequence: 42, payload: [1, 2, 3] })
  t.equal(envelope.payload.buffer, bytes.buffer, 'not copied')
  t.same(decodeEnvelope(encodeEnvelope(encodeOrigin('é'), 2 ** 53 - 1, false, new Uint8Array(0))), { binary: false, origin: 'é', sequence: 2 ** 53 - 1, payload: new Uint8Array(0) }, 'the largest sequence, a text message, an empty payload')
  const inside = new Uint8Array(100)
  inside.set(bytes, 7)
  t.same(decodeEnvelope(inside.subarray(7, 7 + bytes.length))?.sequence, 42, 'read from inside a larger buffer')
})

t.test('origins are 1 to 255 bytes of UTF-8', async (t) => {
  t.throws(() => encodeOrigin(''), RangeError)
  t.throws(() => encodeOrigin('é'.repeat(128)), RangeError, '256 bytes')
  t.equal(encodeOrigin('x'.repeat(255)).length, 255)
})

t.test('what is not an envelope of this version is null', async (t) => {
  const good = encodeEnvelope(encodeOrigin('ab'), 1, false, Uint8Array.of(9))
  const changed = (at: number, value: number) => {
    const copy = good.slice()
    copy[at] = value
    return copy
  }
  const cases: [string, Uint8Array][] = [
    ['empty', new Uint8Array(0)],
    ['two bytes', good.subarray(0, 2)],
    ['another version', changed(0, 2)],
    ['unknown flags', changed(1, 2)],
    ['an empty origin', changed(2, 0)],
    ['an origin longer than the buffer', changed(2, 200)],
    ['cut inside the sequence', good.subarray(0, 3 + 2 + 7)],
    ['an origin that is not UTF-8', changed(3, 0xff)],
    ['sequence 0', changed(12, 0)],
    ['a sequence beyond 2^53 - 1', changed(5, 0x00).fill(0xff, 5, 9)],
  ]
  for (const [name, bytes] of cases) t.equal(decodeEnvelope(bytes), null, name)
  t.not(decodeEnvelope(good.subarray(0, 13)), null, 'no payload at all is an empty message')
})

t.test('any origin, sequence, kind and payload round-trip', async (t) => {
  fc.assert(fc.property(fc.string({ minLength: 1, maxLength: 60 }), fc.integer({ min: 1, max: Number.MAX_SAFE_INTEGER }), fc.boolean(), fc.uint8Array({ maxLength: 300 }), (origin, sequence, binary, payload) => {
    const envelope = decodeEnvelope(encodeEnvelope(encodeOrigin(origin), sequence, binary, payload))
    return envelope !== null && envelope.origin === origin && envelope.sequence === sequence && envelope.binary === binary && Buffer.from(envelope.payload).equals(payload)
  }))
  t.pass('100 random envelopes round-trip (fast-check)')
})
