import t from 'tap'
import * as source from '../src/index.js'

t.test('the built package resolves through its exports map and matches the source', async (t) => {
  // Self-reference by package name goes through package.json "exports" to dist/.
  const built = await import('@ws-toolkit/ws-core')
  t.same(Object.keys(built).sort(), Object.keys(source).sort())
  const header = built.newHeader()
  t.equal(built.readHeader(Uint8Array.from([0x81, 0x05]), 0, header), 2)
  t.equal(header.length, 5)
})
