// Where code blocks are written to be compiled and run: a fresh folder under
// packages/doc-tests/.snippets/, so that `@ws-toolkit/ws-core` and the other imports resolve
// through this package's node_modules (its workspace dependencies) and the files are ES modules
// (this package is "type": "module"), as in a user's project.
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs'
import { join } from 'node:path'
import type { Block } from './blocks.js'
import { packageDir } from './documents.js'

/** contextsDir holds the contexts fragments name: `contexts/NAME.ts`. */
export const contextsDir = join(packageDir, 'contexts')

/** SnippetFile is a block written out as a TypeScript module. */
export interface SnippetFile {
  /** path is the absolute path of the file. */
  path: string
  /** block is the code block it holds. */
  block: Block
  /** firstLine is the file's line (1-based) where the block's code starts: after its context. */
  firstLine: number
}

/** snippetFolder makes a new empty folder under .snippets/ with `prefix` in its name; `remove()` deletes it. */
export function snippetFolder(prefix: string): { dir: string; remove(): void } {
  const parent = join(packageDir, '.snippets')
  mkdirSync(parent, { recursive: true })
  const dir = mkdtempSync(join(parent, `${prefix}-`))
  return { dir, remove: () => rmSync(dir, { recursive: true, force: true }) }
}

/** readContext returns the text of context `name` (contexts/NAME.ts), or throws naming the missing file. */
export function readContext(name: string): string {
  try {
    return readFileSync(join(contextsDir, `${name}.ts`), 'utf8')
  } catch {
    throw new Error(`no context file contexts/${name}.ts in packages/doc-tests`)
  }
}

/**
 * writeSnippet writes `block` into `dir` as `name.ts`: a fragment after its context, a runnable
 * block as it is; `export {}` at the end makes every file a module of its own.
 */
export function writeSnippet(dir: string, name: string, block: Block): SnippetFile {
  const context = block.kind === 'fragment' ? readContext(block.argument) : ''
  const prefix = context === '' || context.endsWith('\n') ? context : `${context}\n`
  const path = join(dir, `${name}.ts`)
  writeFileSync(path, `${prefix}${block.code}export {}\n`)
  return { path, block, firstLine: prefix.split('\n').length }
}
