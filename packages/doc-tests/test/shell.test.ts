// Shell blocks are not run (they install, benchmark, run for minutes), but everything they name
// must exist: pnpm scripts, workspace packages and files (shell-commands.ts).
import t from 'tap'
import { allBlocks } from './all-blocks.js'
import { where } from './blocks.js'
import { checkShell, commands } from './shell-commands.js'

t.test('every shell block names scripts, packages and files that exist', async (t) => {
  const blocks = allBlocks().filter((block) => block.kind === 'shell')
  t.ok(blocks.length > 0, `${blocks.length} blocks`)
  for (const block of blocks) t.same(checkShell(block.document, block.code), [], where(block))
})

t.test('commands: comments dropped, lines split at && ; | ||', async (t) => {
  t.same(commands('npm i -g pnpm@10 && pnpm install   # set up\n\n# a comment\npnpm test; pnpm bench | tee x || true\n'), [
    ['npm', 'i', '-g', 'pnpm@10'], ['pnpm', 'install'], ['pnpm', 'test'], ['pnpm', 'bench'], ['tee', 'x'], ['true'],
  ])
})

t.test('self-test: missing scripts, packages and files are reported', async (t) => {
  t.same(checkShell('README.md', [
    'pnpm no-such-script',
    'pnpm run no-such-script-either',
    'pnpm exec tsx examples/no-such-example.ts --port 8080',
    'pnpm --filter no-such-package run all',
    'pnpm --filter bench run no-such-bench',
  ].join('\n')), [
    'pnpm no-such-script: no script "no-such-script" in package.json',
    'pnpm run no-such-script-either: no script "no-such-script-either" in package.json',
    'pnpm exec tsx examples/no-such-example.ts --port 8080: no file examples/no-such-example.ts',
    'pnpm --filter no-such-package run all: no workspace package no-such-package',
    'pnpm --filter no-such-package run all: no script "all" in any package',
    'pnpm --filter bench run no-such-bench: no script "no-such-bench" in bench/package.json',
  ])
  t.same(checkShell('bench/README.md', 'pnpm install && pnpm test && pnpm start\npnpm --filter bench run cipher\npnpm exec tsx examples/echo.ts --port 8080\npnpm changeset\n'), [], 'real ones pass')
})
