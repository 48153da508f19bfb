// Asking a child process something over its IPC channel and waiting for the answer: a child
// answers each request with one message, in order. A child that exits first fails the request
// (with its exit code), so that a crashed server or load process never hangs the benchmark.
import type { ChildProcess } from 'node:child_process'

/** request sends `message` to `child` and resolves with its next message, or rejects if the child exits or `timeoutMs` passes. */
export function request<T>(child: ChildProcess, message: unknown, timeoutMs = 600_000): Promise<T> {
  return new Promise<T>((resolve, reject) => {
    const done = () => {
      clearTimeout(timer)
      child.off('message', onMessage)
      child.off('exit', onExit)
    }
    const onMessage = (answer: unknown) => {
      done()
      resolve(answer as T)
    }
    const onExit = (code: number | null, signal: string | null) => {
      done()
      reject(new Error(`child ${child.pid} exited (${signal ?? code}) before answering ${JSON.stringify(message)}`))
    }
    const timer = setTimeout(() => {
      done()
      reject(new Error(`child ${child.pid} did not answer ${JSON.stringify(message)} within ${timeoutMs} ms`))
    }, timeoutMs)
    child.on('message', onMessage)
    child.once('exit', onExit)
    child.send(message as object)
  })
}

/** firstMessage resolves with the first message `child` sends (its port, its readiness), or rejects if it exits first. */
export function firstMessage<T>(child: ChildProcess): Promise<T> {
  return new Promise<T>((resolve, reject) => {
    const onExit = (code: number | null, signal: string | null) => reject(new Error(`child ${child.pid} exited (${signal ?? code}) before it was ready`))
    child.once('message', (message) => {
      child.off('exit', onExit)
      resolve(message as T)
    })
    child.once('exit', onExit)
  })
}

/** Children is every child process this one started, killed (SIGKILL) on exit, on SIGINT and SIGTERM: none is left behind. */
export class Children {
  private readonly all = new Set<ChildProcess>()

  /** constructor installs the handlers that kill what is left when this process ends or is interrupted. */
  constructor() {
    process.on('exit', () => this.killAll())
    for (const signal of ['SIGINT', 'SIGTERM'] as const) {
      process.on(signal, () => {
        this.killAll()
        process.exit(130)
      })
    }
  }

  /** add keeps `child` until it exits. */
  add(child: ChildProcess): ChildProcess {
    this.all.add(child)
    child.once('exit', () => this.all.delete(child))
    return child
  }

  /** stop ends `child` (SIGTERM, then SIGKILL after `graceMs`) and resolves once it has exited. */
  async stop(child: ChildProcess, graceMs = 3000): Promise<void> {
    if (child.exitCode !== null || child.signalCode !== null) return
    const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()))
    child.kill('SIGTERM')
    const timer = setTimeout(() => child.kill('SIGKILL'), graceMs)
    await exited
    clearTimeout(timer)
  }

  /** killAll sends SIGKILL to every child still running. */
  killAll(): void {
    for (const child of this.all) child.kill('SIGKILL')
  }
}
