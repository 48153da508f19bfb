// The documents whose code blocks are tested: every README.md in the workspace and every
// Markdown file under docs/ (the guide), found by walking the tree, so a new README cannot be
// missed. Generated and installed trees are skipped.
import { readdirSync } from 'node:fs'
import { dirname, join, relative, resolve } from 'node:path'
import { fileURLToPath } from 'node:url'

/** root is the workspace's root folder (where pnpm-workspace.yaml is). */
export const root = resolve(dirname(fileURLToPath(import.meta.url)), '../../..')

/** packageDir is this package's folder, packages/doc-tests. */
export const packageDir = resolve(dirname(fileURLToPath(import.meta.url)), '..')

/** Folders never searched: installed, built, generated or tool state. */
const skipped = new Set(['node_modules', '.git', 'dist', '.tap', '.snippets', 'coverage'])
/** Generated documentation (TypeDoc), relative to the root. */
const generated = new Set(['docs/api'])

/**
 * documents returns the paths, relative to `root` and sorted, of every README.md in the
 * workspace and every `.md` file under docs/.
 */
export function documents(): string[] {
  const found: string[] = []
  const walk = (dir: string): void => {
    for (const entry of readdirSync(dir, { withFileTypes: true })) {
      const path = join(dir, entry.name)
      const rel = relative(root, path)
      if (entry.isDirectory()) {
        if (!skipped.has(entry.name) && !generated.has(rel)) walk(path)
      } else if (entry.name === 'README.md' || (rel.startsWith('docs/') && entry.name.endsWith('.md'))) {
        found.push(rel)
      }
    }
  }
  walk(root)
  return found.sort()
}
