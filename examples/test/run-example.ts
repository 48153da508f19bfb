import { spawn, type ChildProcess } from 'node:child_process'
import { once } from 'node:events'
import { dirname, join } from 'node:path'
import { fileURLToPath } from 'node:url'

const examples = join(dirname(fileURLToPath(import.meta.url)), '..')

/**
 * The command that runs an example's TypeScript: Node.js through tsx by default; the runtime
 * tests (packages/runtimes) pass Bun's (`bun`) or Deno's (`deno run --allow-...`).
 */
export const nodeWithTsx: readonly string[] = [process.execPath, '--import', 'tsx']

/** How an example's process ended. */
export interface Exit { code: number | null; signal: NodeJS.Signals | null }

/**
 * runExample starts `examples/NAME.ts --port 0 ...args` (by `command`), waits for its "listening on" line, and
 * stops it at teardown. `stop(signal)` sends it a signal now and resolves with how it exited.
 */
export async function runExample(t: { teardown(fn: () => void): void }, name: string, args: string[] = [], command: readonly string[] = nodeWithTsx): Promise<{ port: number; child: ChildProcess; output: () => string; stop(signal: NodeJS.Signals): Promise<Exit> }> {
  const [program, ...before] = command
  const child = spawn(program!, [...before, join(examples, `${name}.ts`), '--port', '0', ...args], { cwd: examples, stdio: ['ignore', 'pipe', 'inherit'] })
  let stopping = false
  const exited = new Promise<Exit>((resolve) => child.once('exit', (code, signal) => resolve({ code, signal })))
  const stop = (signal: NodeJS.Signals) => {
    stopping = true
    child.kill(signal)
    return exited
  }
  t.teardown(() => {
    stopping = true
    child.kill()
  })
  // An example that dies mid-test would otherwise show only as refused connections.
  child.on('exit', (code, signal) => {
    if (!stopping) console.error(`# examples/${name}.ts exited early: code ${code}, signal ${signal}`)
  })
  // Read stdout for the child's whole life: a closed pipe would fail its next console.log.
  let output = ''
  child.stdout!.setEncoding('utf8')
  return new Promise((resolve, reject) => {
    let listening = false
    child.stdout!.on('data', (chunk: string) => {
      output += chunk
      const match = /listening on 127\.0\.0\.1:(\d+)/.exec(output)
      if (match && !listening) {
        listening = true
        resolve({ port: Number(match[1]), child, output: () => output, stop })
      }
    })
    child.stdout!.on('end', () => {
      if (!listening) reject(new Error(`${name} exited before listening: ${output}`))
    })
  })
}

/** runToEnd runs `examples/NAME.ts` with `args` (by `command`) and resolves with its exit code and output. */
export async function runToEnd(name: string, args: string[], command: readonly string[] = nodeWithTsx): Promise<{ code: number | null; stdout: string; stderr: string }> {
  const [program, ...before] = command
  const child = spawn(program!, [...before, join(examples, `${name}.ts`), ...args], { cwd: examples, stdio: ['ignore', 'pipe', 'pipe'] })
  let stdout = ''
  let stderr = ''
  child.stdout!.setEncoding('utf8')
  child.stdout!.on('data', (chunk) => (stdout += chunk))
  child.stderr!.setEncoding('utf8')
  child.stderr!.on('data', (chunk) => (stderr += chunk))
  // 'close', not 'exit': the pipes are read to their end.
  const [code] = await once(child, 'close')
  return { code, stdout, stderr }
}
