// Real brokers for the tests: Debian's redis-server and nats-server (installed by
// scripts/peers.mjs), each started on a loopback port of its own with nothing kept on disk,
// and stopped by the test's teardown.
import { type ChildProcess, spawn } from 'node:child_process'
import { once } from 'node:events'
import { createServer } from 'node:net'

/** freePort finds a loopback port nobody listens on. */
export async function freePort(): Promise<number> {
  const server = createServer().listen(0, '127.0.0.1')
  await once(server, 'listening')
  const { port } = server.address() as { port: number }
  await new Promise((resolve) => server.close(resolve))
  return port
}

/** A broker process the test started. */
export interface Broker {
  readonly port: number
  readonly url: string
  /** stop kills the process (SIGKILL: a crash, nothing flushed) and waits for it to exit. */
  stop(): Promise<void>
  /** start starts it again on the same port. */
  start(): Promise<void>
}

interface Teardown {
  teardown(fn: () => void | Promise<void>): void
}

/** launch starts `command` and resolves once its output says it is ready; rejects if it exits first or takes over 20 s. */
async function launch(command: string, args: string[], ready: RegExp): Promise<ChildProcess> {
  const child = spawn(command, args, { stdio: ['ignore', 'pipe', 'pipe'] })
  let output = ''
  await new Promise<void>((resolve, reject) => {
    const timer = setTimeout(() => fail(new Error(`${command} did not start in 20 s:\n${output}`)), 20_000)
    const seen = (chunk: Buffer) => {
      output += chunk.toString()
      if (ready.test(output)) {
        clearTimeout(timer)
        resolve()
      }
    }
    const fail = (error: Error) => {
      clearTimeout(timer)
      child.kill('SIGKILL')
      reject(error)
    }
    child.stdout!.on('data', seen)
    child.stderr!.on('data', seen)
    child.once('exit', (code) => fail(new Error(`${command} exited (${code}) before it was ready:\n${output}`)))
    child.once('error', fail)
  })
  child.removeAllListeners('exit')
  child.stdout!.resume()
  child.stderr!.resume()
  return child
}

async function broker(t: Teardown, scheme: string, start: (port: number) => Promise<ChildProcess>): Promise<Broker> {
  const port = await freePort()
  let child: ChildProcess | null = await start(port)
  const stop = async () => {
    const running = child
    child = null
    if (running === null || running.exitCode !== null || running.signalCode !== null) return
    const exited = once(running, 'exit')
    running.kill('SIGKILL')
    await exited
  }
  t.teardown(stop)
  return {
    port,
    url: `${scheme}://127.0.0.1:${port}`,
    stop,
    async start() {
      await stop()
      child = await start(port)
    },
  }
}

/** startRedis starts redis-server on 127.0.0.1, a port of its own, without persistence, with `extra` arguments. */
export function startRedis(t: Teardown, extra: string[] = []): Promise<Broker> {
  return broker(t, 'redis', (port) =>
    launch('/usr/bin/redis-server', ['--port', String(port), '--bind', '127.0.0.1', '--save', '', '--appendonly', 'no', '--daemonize', 'no', '--dir', '/tmp', ...extra], /Ready to accept connections/))
}

/** startNats starts nats-server on 127.0.0.1, a port of its own, with the configuration file `config` if given. */
export function startNats(t: Teardown, config?: string): Promise<Broker> {
  return broker(t, 'nats', (port) => launch('/usr/sbin/nats-server', [...(config === undefined ? [] : ['-c', config]), '-a', '127.0.0.1', '-p', String(port)], /Server is ready/))
}
