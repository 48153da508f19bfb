// Every fenced code block of every README.md and docs/*.md carries a valid doc-test marker, so
// that no block goes untested: run blocks name a check that exists, fragments a context file
// that exists, and each block is fenced in a language its kind accepts.
import { existsSync } from 'node:fs'
import { join } from 'node:path'
import t from 'tap'
import { allBlocks } from './all-blocks.js'
import { parseBlocks, where } from './blocks.js'
import { checks } from './checks.js'
import { documents } from './documents.js'
import { contextsDir } from './snippet-files.js'

const blocks = allBlocks()

t.test('the documents include the root README, every package README and the guide', async (t) => {
  const found = documents()
  for (const document of ['README.md', 'docs/guide.md', 'bench/README.md', 'packages/ws-core/README.md', 'packages/ws-util/README.md', 'packages/ws-flate/README.md', 'packages/ws-fanout/README.md', 'packages/conformance/README.md', 'packages/packaging/README.md', 'packages/doc-tests/README.md']) {
    t.ok(found.includes(document), document)
  }
  t.notOk(found.some((document) => document.includes('node_modules')), 'nothing installed')
})

t.test('every block is marked', async (t) => {
  t.ok(blocks.length > 0, 'there are blocks')
  for (const block of blocks) t.equal(block.problem, null, `${where(block)} (${block.language || 'no language'})`)
  const counts = new Map<string, string[]>()
  for (const block of blocks) {
    const list = counts.get(block.document) ?? []
    list.push(`${block.kind} ${block.argument}`.trim())
    counts.set(block.document, list)
  }
  for (const [document, kinds] of counts) t.comment(`${document}: ${kinds.length} blocks (${kinds.join(', ')})`)
})

t.test('run blocks name a check that exists, fragments a context that exists', async (t) => {
  for (const block of blocks) {
    if (block.kind === 'run') t.ok(Object.hasOwn(checks, block.argument), `${where(block)}: check ${block.argument} (one of ${Object.keys(checks).join(', ')})`)
    if (block.kind === 'fragment') t.ok(existsSync(join(contextsDir, `${block.argument}.ts`)), `${where(block)}: contexts/${block.argument}.ts`)
  }
})

t.test('self-test: unmarked, misplaced, mistyped and unknown markers are problems', async (t) => {
  const text = [
    '# Doc',
    '```ts',
    'const unmarked = 1',
    '```',
    '<!-- doc-test: run echo-server -->',
    'Some words between marker and block.',
    '```ts',
    'const separated = 1',
    '```',
    '<!-- doc-test: shell -->',
    '```ts',
    'const wrongLanguage = 1',
    '```',
    '<!-- doc-test: compile -->',
    '```ts',
    'const unknownKind = 1',
    '```',
    '<!-- doc-test: fragment -->',
    '```ts',
    'const noContext = 1',
    '```',
    '<!-- doc-test: run output -->',
    '',
    '````ts',
    '```',
    'const fine = 1',
    '````',
    '<!-- doc-test: shell -->',
    '- a list item:',
    '',
    '    ~~~sh',
    '    pnpm test',
    '    ~~~',
  ].join('\n')
  const parsed = parseBlocks('SELF.md', text)
  t.same(parsed.map((b) => [b.line, b.problem === null]), [[2, false], [5, false], [7, false], [11, false], [15, false], [19, false], [24, true], [28, false], [31, false]])
  t.match(parsed[0].problem, /no <!-- doc-test/)
  t.match(parsed[1].problem, /not followed by a fenced code block/)
  t.match(parsed[3].problem, /fenced as sh/)
  t.match(parsed[4].problem, /unknown marker kind "compile"/)
  t.match(parsed[5].problem, /names its context/)
  t.equal(parsed[6].code, '```\nconst fine = 1\n', 'a longer fence holds a shorter one')
  t.same([parsed[6].kind, parsed[6].argument], ['run', 'output'])
  t.match(parsed[8].problem, /no <!-- doc-test/, 'an indented fence in a list item is found')
})
