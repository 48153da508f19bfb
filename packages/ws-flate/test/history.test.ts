import fc from 'fast-check'
import t from 'tap'
import { History, windowSize } from '../src/history.js'

t.test('History keeps the last 32 KiB, contiguous, whatever the appends and compactions', async (t) => {
  fc.assert(
    fc.property(fc.array(fc.record({ size: fc.oneof(fc.integer({ min: 0, max: 300 }), fc.integer({ min: 20000, max: 70000 })), compact: fc.boolean(), seed: fc.integer({ min: 0, max: 255 }) }), { maxLength: 12 }), (steps) => {
      const history = new History()
      let all = Buffer.alloc(0)
      for (const { size, compact, seed } of steps) {
        const chunk = Buffer.from(Array.from({ length: size }, (_, i) => (seed + i * 7) & 0xff))
        history.append(chunk)
        all = Buffer.concat([all, chunk]).subarray(-windowSize)
        if (compact) history.compact()
        if (!Buffer.from(history.view()).equals(all)) return false
      }
      return true
    }),
    { seed: 14, numRuns: 300 },
  )
  t.equal(new History().view().length, 0, 'empty at first')
})

t.test('History.compact copies the window into a buffer of its size once; compact again (or empty) keeps it', async (t) => {
  const empty = new History()
  empty.compact()
  t.equal(empty.view().length, 0, 'an empty history compacts to nothing')
  t.equal(empty.view().buffer.byteLength, 0, 'and holds no buffer')

  // Four appends of 16 KiB fill the 64 KiB working buffer exactly: twice the window, to the end.
  const history = new History()
  const stream = Buffer.from(Array.from({ length: 4 * 16384 }, (_, i) => (i * 13 + (i >> 8)) & 0xff))
  for (let i = 0; i < 4; i++) history.append(stream.subarray(i * 16384, (i + 1) * 16384))
  t.equal(history.view().buffer.byteLength, 2 * windowSize, 'appending: the working buffer')
  history.compact()
  const compacted = history.view()
  t.same(Buffer.from(compacted), stream.subarray(-windowSize), 'compacted: the last 32 KiB')
  t.equal(compacted.buffer.byteLength, windowSize, 'in a buffer of exactly the window')
  history.compact()
  t.equal(history.view().buffer, compacted.buffer, 'compact again: the same buffer, not another copy')
  t.same(Buffer.from(history.view()), stream.subarray(-windowSize))
  history.append(Buffer.of(1, 2, 3))
  t.same(Buffer.from(history.view()), Buffer.concat([stream, Buffer.of(1, 2, 3)]).subarray(-windowSize), 'appends go on after it')
})
