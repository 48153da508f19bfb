// Running a code block as a program, the way a user would after pasting it into a file:
// `node --import tsx file.ts`, from a folder of this package (so the workspace packages
// resolve), with listen-hook.ts loaded first so that servers listen on a free loopback port
// that the test learns. Every run is bounded: it is killed after `timeoutMs`.
import { type ChildProcess, spawn } from 'node:child_process'
import { pathToFileURL } from 'node:url'
import { join } from 'node:path'
import { packageDir } from './documents.js'

const hook = pathToFileURL(join(packageDir, 'test/listen-hook.ts')).href

/** Running is a code block's process, started by {@link runSnippet}. */
export interface Running {
  /** child is the process. */
  child: ChildProcess
  /** output returns what it wrote so far, stdout and stderr. */
  output(): { stdout: string; stderr: string }
  /** listening resolves with the port of the first server it listens with; rejects if it exits first. */
  listening: Promise<number>
  /** exited resolves with its exit code (null when a signal ended it) and signal, once it is gone. */
  exited: Promise<{ code: number | null; signal: NodeJS.Signals | null }>
  /** stop ends it with SIGTERM (SIGKILL after 2 s) unless it has exited, and waits until it has. */
  stop(): Promise<void>
}

/** runSnippet starts `file` with tsx and the listen hook, arguments `args`; it is killed after `timeoutMs`. */
export function runSnippet(file: string, args: readonly string[] = [], timeoutMs = 30_000): Running {
  const child = spawn(process.execPath, ['--import', 'tsx', '--import', hook, file, ...args], {
    cwd: packageDir,
    stdio: ['ignore', 'pipe', 'pipe', 'ipc'],
  })
  let stdout = ''
  let stderr = ''
  child.stdout!.setEncoding('utf8').on('data', (chunk: string) => (stdout += chunk))
  child.stderr!.setEncoding('utf8').on('data', (chunk: string) => (stderr += chunk))
  const exited = new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((resolve) => {
    child.on('exit', (code, signal) => resolve({ code, signal }))
  })
  const timer = setTimeout(() => child.kill('SIGKILL'), timeoutMs)
  void exited.then(() => clearTimeout(timer))
  const listening = new Promise<number>((resolve, reject) => {
    child.on('message', (message: { listening?: number }) => {
      if (typeof message.listening === 'number') resolve(message.listening)
    })
    void exited.then(({ code, signal }) => reject(new Error(`exited (${code ?? signal}) before listening:\n${stdout}${stderr}`)))
  })
  listening.catch(() => {}) // the caller may never ask
  return {
    child,
    output: () => ({ stdout, stderr }),
    listening,
    exited,
    async stop() {
      if (child.exitCode === null && child.signalCode === null) {
        child.kill('SIGTERM')
        const killer = setTimeout(() => child.kill('SIGKILL'), 2000)
        await exited
        clearTimeout(killer)
      }
    },
  }
}
