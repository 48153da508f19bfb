#!/usr/bin/env node
// `pnpm test` after scripts/peers.mjs: builds the packages, type-checks the whole workspace,
// builds the API reference (failing on anything undocumented) and runs every workspace
// package's tests one package at a time. A failing step does not stop the ones after it: every
// package's tests run, and the run fails at the end with a summary naming what failed.
import { existsSync, readFileSync, rmSync } from 'node:fs'
import { spawnSync } from 'node:child_process'
import { basename, dirname, join, relative } from 'node:path'
import { fileURLToPath } from 'node:url'

const root = dirname(dirname(fileURLToPath(import.meta.url)))
const started = performance.now()
/** @type {{ name: string, ok: boolean, seconds: number, detail?: string }[]} */
const results = []

function seconds(since) {
  return (performance.now() - since) / 1000
}

/** step runs `pnpm ...args` in the workspace root and records whether it exited 0. */
function step(name, args) {
  console.log(`\n=== ${name}: pnpm ${args.join(' ')}`)
  const start = performance.now()
  const run = spawnSync('pnpm', args, { cwd: root, stdio: ['ignore', 'inherit', 'inherit'] })
  const ok = run.status === 0
  results.push({ name, ok, seconds: seconds(start), detail: ok ? undefined : (run.error?.message ?? `exit ${run.status ?? run.signal}`) })
  return run
}

step('build', ['build'])
step('typecheck', ['exec', 'tsc', '-p', 'tsconfig.json', '--noEmit'])
// The API reference: TypeDoc fails on any exported symbol or member left undocumented.
step('api reference', ['run', 'docs'])

// pnpm -r --no-bail runs every package's tests even after one fails (exiting non-zero at the
// end); --report-summary writes each package's outcome to pnpm-exec-summary.json.
const summaryFile = join(root, 'pnpm-exec-summary.json')
rmSync(summaryFile, { force: true })
const testsStart = performance.now()
const tests = step('tests', ['-r', '--workspace-concurrency=1', '--no-bail', '--report-summary', 'test'])
results.pop() // replaced by one line per package below, when pnpm wrote its summary
if (existsSync(summaryFile)) {
  const { executionStatus } = JSON.parse(readFileSync(summaryFile, 'utf8'))
  rmSync(summaryFile, { force: true })
  for (const [dir, outcome] of Object.entries(executionStatus)) {
    if (outcome.status === 'skipped') continue // a package without a test script (bench)
    let name = relative(root, dir) || basename(dir)
    try {
      name = JSON.parse(readFileSync(join(dir, 'package.json'), 'utf8')).name ?? name
    } catch {}
    const ok = outcome.status === 'passed'
    results.push({ name: `tests ${name}`, ok, seconds: (outcome.duration ?? 0) / 1000, detail: ok ? undefined : outcome.status })
  }
}
if (tests.status !== 0 && results.every((r) => r.ok)) {
  // pnpm failed without naming a failed package (it could not start, or wrote no summary).
  results.push({ name: 'tests', ok: false, seconds: seconds(testsStart), detail: tests.error?.message ?? `pnpm exited ${tests.status ?? tests.signal}` })
}

const failed = results.filter((r) => !r.ok)
const width = Math.max(...results.map((r) => r.name.length))
console.log(`\n=== summary (Node.js ${process.version}, ${seconds(started).toFixed(0)} s in all)`)
for (const r of results) console.log(`  ${r.ok ? 'ok  ' : 'FAIL'}  ${r.name.padEnd(width)}  ${r.seconds.toFixed(1).padStart(6)} s${r.detail ? `  (${r.detail})` : ''}`)
if (failed.length > 0) console.log(`failed: ${failed.map((r) => r.name).join(', ')}`)
console.log(`steps: ${results.length - failed.length} passed, ${failed.length} failed`)
process.exit(failed.length > 0 ? 1 : 0)
