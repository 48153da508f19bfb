import { spawn, type ChildProcess } from 'node:child_process'
import { once } from 'node:events'
import { dirname, join } from 'node:path'
import { fileURLToPath } from 'node:url'

const examples = join(dirname(fileURLToPath(import.meta.url)), '..')

/** runExample starts `examples/NAME.ts --port 0 ...args`, waits for its "listening on" line, and stops it at teardown. */
export async function runExample(t: { teardown(fn: () => void): void }, name: string, args: string[] = []): Promise<{ port: number; child: ChildProcess; output: () => string }> {
  const child = spawn(process.execPath, ['--import', 'tsx', join(examples, `${name}.ts`), '--port', '0', ...args], { cwd: examples, stdio: ['ignore', 'pipe', 'inherit'] })
  let stopping = false
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
        resolve({ port: Number(match[1]), child, output: () => output })
      }
    })
    child.stdout!.on('end', () => {
      if (!listening) reject(new Error(`${name} exited before listening: ${output}`))
    })
  })
}

/** runToEnd runs `examples/NAME.ts` with `args` and resolves with its exit code and output. */
export async function runToEnd(name: string, args: string[]): Promise<{ code: number | null; stdout: string }> {
  const child = spawn(process.execPath, ['--import', 'tsx', join(examples, `${name}.ts`), ...args], { cwd: examples, stdio: ['ignore', 'pipe', 'inherit'] })
  let stdout = ''
  child.stdout!.setEncoding('utf8')
  child.stdout!.on('data', (chunk) => (stdout += chunk))
  const [code] = await once(child, 'exit')
  return { code, stdout }
}
