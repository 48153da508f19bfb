// Bun and Deno, as the tests run them: the binaries the pinned npm packages `bun` and `deno`
// install (devDependencies of this package, their postinstall allowed by pnpm-workspace.yaml's
// onlyBuiltDependencies), found by path, so neither is ever on the root PATH.
import { execFileSync } from 'node:child_process'
import { existsSync, readFileSync } from 'node:fs'
import { createRequire } from 'node:module'
import { dirname, join } from 'node:path'

const require = createRequire(import.meta.url)
const pinned = (JSON.parse(readFileSync(new URL('../package.json', import.meta.url), 'utf8')) as { devDependencies: Record<string, string> }).devDependencies

/** Runtime is one runtime the examples and checks run on. */
export interface Runtime {
  /** `bun` or `deno`. */
  name: 'bun' | 'deno'
  /** The version pinned in package.json, which `--version` reports. */
  version: string
  /** The command that runs a TypeScript file: the binary and the arguments before the file. */
  command: readonly string[]
}

/** binary finds a runtime's executable inside its npm package, or throws naming the fix. */
function binary(name: 'bun' | 'deno', inPackage: string): string {
  const path = join(dirname(require.resolve(`${name}/package.json`)), inPackage)
  let version = ''
  if (existsSync(path)) {
    try {
      version = execFileSync(path, ['--version'], { encoding: 'utf8' })
    } catch {
      // Not runnable: the postinstall step did not put the real binary there.
    }
  }
  if (!version.includes(pinned[name]!)) {
    throw new Error(`${name} ${pinned[name]} is not installed at ${path} (its npm postinstall must run: pnpm-workspace.yaml lists ${name} in onlyBuiltDependencies); run: pnpm install --force`)
  }
  return path
}

/**
 * runtimes returns Bun and Deno. Deno runs a file with `deno run --allow-net` and no other
 * flag: the examples import `.ts` files by their names, and the packages resolve through
 * node_modules as in Node.js.
 */
export function runtimes(): Runtime[] {
  return [
    { name: 'bun', version: pinned.bun!, command: [binary('bun', 'bin/bun.exe')] },
    { name: 'deno', version: pinned.deno!, command: [binary('deno', 'deno'), 'run', '--allow-net'] },
  ]
}
