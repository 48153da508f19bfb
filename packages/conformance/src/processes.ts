// Peers under test run as programs of their own: a server prints "listening on 127.0.0.1:N"
// and serves until killed; a client is given the fuzzing server's URL and exits when done.
import { type ChildProcess, spawn } from 'node:child_process'
import { once } from 'node:events'
import { fileURLToPath } from 'node:url'

/** The workspace root, for the paths of the programs under test. */
export const root = fileURLToPath(new URL('../../../', import.meta.url))

/** tsx runs TypeScript programs. */
export const tsx = `${root}node_modules/.bin/tsx`

/** Program is a command line: the executable and its arguments. */
export type Program = [string, ...string[]]

/** RunningServer is a server under test: its URL, and `stop()`. */
export interface RunningServer {
  url: string
  stop(): Promise<void>
}

async function stop(child: ChildProcess): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return
  const exited = once(child, 'exit')
  child.kill()
  const force = setTimeout(() => child.kill('SIGKILL'), 5000)
  await exited
  clearTimeout(force)
}

/**
 * startServer runs `program` and resolves once it prints the address it listens on; it rejects
 * when the program exits first or has not printed it after `timeoutMs`.
 */
export function startServer(program: Program, timeoutMs = 30_000): Promise<RunningServer> {
  const child = spawn(program[0], program.slice(1), { cwd: root, stdio: ['ignore', 'pipe', 'inherit'] })
  return new Promise((resolve, reject) => {
    let output = ''
    const fail = (why: string) => {
      clearTimeout(timer)
      void stop(child)
      reject(new Error(`${program.join(' ')}: ${why}`))
    }
    const timer = setTimeout(() => fail(`no "listening on" line after ${timeoutMs} ms`), timeoutMs)
    child.on('exit', (code) => fail(`exited with ${code} before listening`))
    child.stdout!.on('data', (chunk: Buffer) => {
      output += chunk.toString()
      const match = /listening on (\S+:\d+)/.exec(output)
      if (match === null) return
      clearTimeout(timer)
      child.removeAllListeners('exit')
      child.stdout!.removeAllListeners('data')
      child.stdout!.resume()
      resolve({ url: `ws://${match[1]}/`, stop: () => stop(child) })
    })
  })
}

/** runClient runs `program` and resolves with its exit code; it is killed after `timeoutMs`. */
export async function runClient(program: Program, timeoutMs: number): Promise<number | null> {
  const child = spawn(program[0], program.slice(1), { cwd: root, stdio: ['ignore', 'inherit', 'inherit'] })
  const timer = setTimeout(() => void stop(child), timeoutMs)
  const [code] = await once(child, 'exit')
  clearTimeout(timer)
  return code as number | null
}
