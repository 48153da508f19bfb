import fc from 'fast-check'
import t from 'tap'
import { RingHistory } from '../src/ring-history.js'

t.test('RingHistory keeps exactly the last `size` bytes, whatever the appends', async (t) => {
  fc.assert(
    fc.property(fc.integer({ min: 1, max: 64 }), fc.array(fc.uint8Array({ maxLength: 150 }), { maxLength: 20 }), (size, chunks) => {
      const history = new RingHistory(size)
      let all = new Uint8Array(0)
      for (const chunk of chunks) {
        history.append(chunk)
        const joined = new Uint8Array(all.length + chunk.length)
        joined.set(all)
        joined.set(chunk, all.length)
        all = joined
        const expected = all.subarray(Math.max(0, all.length - size))
        if (Buffer.compare(Buffer.from(history.copy()), Buffer.from(expected)) !== 0) return false
      }
      return true
    }),
    { seed: 14, numRuns: 2000 },
  )
  const history = new RingHistory(4)
  t.same([...history.copy()], [], 'empty at first')
  history.append(Uint8Array.of(1, 2, 3, 4))
  t.same([...history.copy()], [1, 2, 3, 4], 'exactly full')
  history.append(new Uint8Array(0))
  t.same([...history.copy()], [1, 2, 3, 4], 'an empty append changes nothing')
  history.append(Uint8Array.of(5))
  t.same([...history.copy()], [2, 3, 4, 5])
  const copy = history.copy()
  history.append(Uint8Array.of(6))
  t.same([...copy], [2, 3, 4, 5], 'a copy is the caller\'s')
})
