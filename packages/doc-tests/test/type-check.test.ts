// Every TypeScript block compiles with the workspace's strict settings against the built
// packages: runnable blocks as they stand, fragments after their context file. One program
// for all of them; each error is reported at its line in the document.
import t from 'tap'
import { allBlocks } from './all-blocks.js'
import type { Block } from './blocks.js'
import { snippetFolder } from './snippet-files.js'
import { typeCheck } from './type-check.js'

const folder = snippetFolder('type-check')
t.teardown(() => folder.remove())

t.test('every run and fragment block compiles', async (t) => {
  const blocks = allBlocks().filter((block) => block.kind === 'run' || block.kind === 'fragment')
  t.ok(blocks.length > 0, `${blocks.length} blocks`)
  const errors = typeCheck(folder.dir, blocks)
  t.same(errors.map((error) => error.message), [], 'no compiler errors')
})

t.test('self-test: a broken fragment and a broken runnable block are reported at their lines', async (t) => {
  const fragment: Block = {
    document: 'SELF.md', line: 10, language: 'ts', kind: 'fragment', argument: 'read-loop', problem: null,
    code: "import { readHeader } from '@ws-toolkit/ws-core'\nconst size: string = readHeader(chunk, offset)\n",
  }
  const runnable: Block = {
    document: 'SELF.md', line: 20, language: 'ts', kind: 'run', argument: 'output', problem: null,
    code: "import { newHeader } from '@ws-toolkit/ws-core'\nconst header = newHeader()\nconsole.log(header.nosuchfield) // 1\n",
  }
  const fine: Block = { ...fragment, line: 30, code: 'const size = chunk.length - offset\nconsole.log(size)\n' }
  const errors = typeCheck(folder.dir, [fragment, runnable, fine]).map((error) => error.message).sort()
  t.match(errors, [/^SELF\.md:12: TS2322 Type 'number' is not assignable to type 'string'/, /^SELF\.md:12: TS2554 Expected 3 arguments, but got 2/, /^SELF\.md:23: TS2339 Property 'nosuchfield'/])
  t.equal(errors.length, 3, 'nothing reported in the block that compiles')
})

t.test('self-test: a fragment naming a context that does not exist fails', async (t) => {
  const block: Block = { document: 'SELF.md', line: 1, language: 'ts', kind: 'fragment', argument: 'no-such-context', problem: null, code: 'export {}\n' }
  t.throws(() => typeCheck(folder.dir, [block]), /no context file contexts\/no-such-context\.ts/)
})
