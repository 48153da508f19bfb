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
