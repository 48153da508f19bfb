// Checking shell blocks without running them: every `pnpm NAME` / `pnpm run NAME` names a
// script of the package it runs in (or a pnpm builtin, or a bin of that package), every
// `--filter X` a workspace package, and every file a command names (examples/NAME.ts,
// bench/NAME.ts, ...) exists. Commands other than pnpm (npm, sudo apt-get) are left alone,
// but the files they name are still checked.
import { existsSync, readFileSync, readdirSync } from 'node:fs'
import { dirname, join } from 'node:path'
import { root } from './documents.js'

/** pnpm's own commands; `test` and `start` are here too but also need the script (pnpm runs it). */
const builtins = new Set(['install', 'i', 'add', 'remove', 'update', 'exec', 'dlx', 'pack', 'publish', 'init', 'list', 'ls', 'why', 'outdated', 'store', 'config', 'rebuild', 'prune', 'audit', 'link', 'unlink'])
/** Commands pnpm answers by running the package's script of that name. */
const scriptCommands = new Set(['test', 'start'])

/** WorkspacePackage is one package of the workspace: its name, folder and scripts. */
interface WorkspacePackage {
  name: string
  dir: string
  scripts: Record<string, string>
}

function readPackage(dir: string): WorkspacePackage {
  const json = JSON.parse(readFileSync(join(root, dir, 'package.json'), 'utf8')) as { name?: string; scripts?: Record<string, string> }
  return { name: json.name ?? dir, dir, scripts: json.scripts ?? {} }
}

/** workspacePackages lists the root package and every package of pnpm-workspace.yaml's folders. */
export function workspacePackages(): WorkspacePackage[] {
  const dirs = ['.', 'examples', 'bench', ...readdirSync(join(root, 'packages')).map((name) => `packages/${name}`)]
  return dirs.filter((dir) => existsSync(join(root, dir, 'package.json'))).map(readPackage)
}

/** commands splits a shell block into commands: comments dropped, lines split at `&&`, `||`, `;` and `|`. */
export function commands(code: string): string[][] {
  const result: string[][] = []
  for (const line of code.split('\n')) {
    const text = line.replace(/(^|\s)#.*$/, '')
    for (const part of text.split(/&&|\|\||;|\|/)) {
      const words = part.trim().split(/\s+/).filter((word) => word !== '')
      if (words.length > 0) result.push(words)
    }
  }
  return result
}

/** fileLike says whether a word is a path to a file a command would read: a/b.ts, ./x.mjs… */
function fileLike(word: string): boolean {
  return !word.startsWith('-') && !word.includes('://') && word.includes('/') && /\.(ts|mts|js|mjs|cjs|json|py|sh)$/.test(word)
}

/**
 * checkShell returns the problems of a shell block in `document` (relative to the root): pnpm
 * scripts and packages that do not exist, files that are not there. Commands run from the
 * root, or from the document's own folder when that is a package.
 */
export function checkShell(document: string, code: string): string[] {
  const packages = workspacePackages()
  const documentDir = dirname(document)
  const here = [packages.find((p) => p.dir === '.')!, ...packages.filter((p) => p.dir === documentDir && p.dir !== '.')]
  const problems: string[] = []
  for (const words of commands(code)) {
    const line = words.join(' ')
    for (const word of words) {
      if (fileLike(word) && !existsSync(join(root, word)) && !existsSync(join(root, documentDir, word))) problems.push(`${line}: no file ${word}`)
    }
    if (words[0] !== 'pnpm') continue
    let targets = here
    let i = 1
    // Options before the command: --filter X (-F X), -r, -w, -C dir.
    for (; i < words.length && words[i].startsWith('-'); i++) {
      const option = words[i]
      if (option === '--filter' || option === '-F') {
        const selector = words[++i] ?? ''
        const selected = packages.filter((p) => p.name === selector || p.dir === selector || `./${p.dir}` === selector)
        if (selected.length === 0) problems.push(`${line}: no workspace package ${selector}`)
        targets = selected
      } else if (option === '-r' || option === '--recursive') {
        targets = packages
      }
    }
    const command = words[i]
    if (command === undefined) continue
    const script = command === 'run' ? words[i + 1] : command
    if (script === undefined) {
      problems.push(`${line}: pnpm run without a script`)
    } else if (command === 'run' || scriptCommands.has(command) || !builtins.has(command)) {
      const found = targets.some((p) => p.scripts[script] !== undefined || existsSync(join(root, p.dir, 'node_modules/.bin', script)))
      if (!found) problems.push(`${line}: no script "${script}" in ${targets.map((p) => p.dir === '.' ? 'package.json' : `${p.dir}/package.json`).join(' or ') || 'any package'}`)
    }
  }
  return problems
}
