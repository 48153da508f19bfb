import t from 'tap'
import { newMask } from '../src/mask.js'

t.test('newMask draws non-zero keys from crypto.getRandomValues, 1024 at a time', async (t) => {
  const original = crypto.getRandomValues.bind(crypto)
  t.teardown(() => {
    crypto.getRandomValues = original
  })
  const batches: Uint32Array[] = []
  crypto.getRandomValues = (<T extends ArrayBufferView | null>(array: T): T => {
    const words = array as unknown as Uint32Array
    original(words)
    // The first batch served here starts with zero keys, which newMask must skip.
    if (batches.length === 0) words.fill(0, 0, 3)
    batches.push(words.slice())
    return array
  }) as typeof crypto.getRandomValues

  let mask: number
  do mask = newMask()
  while (batches.length === 0)
  t.equal(batches[0].length, 1024, 'one draw holds 1024 keys')
  t.equal(mask, batches[0][3], 'the three zero keys were skipped')

  const keys: number[] = []
  for (let i = 0; i < 3000; i++) keys.push(newMask())
  t.equal(batches.length, 3, 'later keys come from the next draws, in order')
  t.same(keys.slice(0, 1020), [...batches[0].subarray(4)])
  t.ok(keys.every((k) => Number.isInteger(k) && k > 0 && k <= 0xffffffff), 'every key is a non-zero 32-bit number')
  t.ok(new Set(keys).size > 2990, 'keys do not repeat')
})
