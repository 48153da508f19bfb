// Multi-core echo with node:cluster: the primary forks one worker per core (or --workers N),
// and every worker runs the same echo server as echo.ts on the shared port; the primary's
// listening socket hands connections to the workers in turn. Each worker names itself in
// the handshake response (an X-Worker header added by the Upgrader's onBeforeUpgrade), so a
// client can see which process it got. On Ctrl-C or SIGTERM the primary passes the signal on
// to every worker, each closes its connections with 1001 (lib/shutdown.ts), and the primary
// exits 0 once they all have.
//
//   pnpm exec tsx examples/cluster.ts --port 8080 [--workers 2] [--ping-interval MS] [--ping-timeout MS]
import cluster, { type Worker } from 'node:cluster'
import { availableParallelism } from 'node:os'
import { Upgrader } from '@ws-toolkit/ws-core'
import { ConnectionSet } from '@ws-toolkit/ws-util'
import { parseCommand, portFlag } from './lib/args.ts'
import { echoMessages } from './lib/echo.ts'
import { heartbeatFlags, heartbeatSettings } from './lib/heartbeat.ts'
import { listenError, webSocketServer } from './lib/server.ts'
import { stopOnSignals, stopTimeoutMs } from './lib/shutdown.ts'

const { values } = parseCommand({
  summary: 'echo server on every core with node:cluster: one worker per core, one shared port',
  flags: {
    port: portFlag(8080),
    workers: { kind: 'integer', min: 1, max: 1024, help: `how many workers (default one per core: ${availableParallelism()} here)` },
    // Read by every worker: each pings its own connections (lib/heartbeat.ts).
    ...heartbeatFlags,
  },
})
const { port, workers = availableParallelism() } = values

/** What a worker tells the primary when it cannot listen: the primary prints it once. */
interface ListenFailure { listenError: string }

if (cluster.isPrimary) {
  let listening = 0
  const served = new Set<number>()
  /** The workers whose process has not exited (cluster.workers may drop one before or after its 'exit'). */
  const alive = new Set<Worker>()
  cluster.on('fork', (worker) => alive.add(worker))
  cluster.on('listening', (worker, address) => {
    served.add(worker.id)
    console.log(`worker ${worker.process.pid} listening`)
    if (++listening === workers) console.log(`listening on 127.0.0.1:${address.port} with ${workers} workers (--port N for another; Ctrl-C stops)`)
  })
  let stopping = false
  // A port in use fails every worker alike: one line, and the primary stops with 1.
  cluster.on('message', (_worker, message: Partial<ListenFailure>) => {
    if (typeof message?.listenError !== 'string' || stopping) return
    console.error(message.listenError)
    stop(1)
  })
  // A worker that dies after it was serving is replaced. One that dies before it could listen
  // would die again: the primary gives up instead of forking forever.
  cluster.on('exit', (worker, code, signal) => {
    alive.delete(worker)
    if (stopping) {
      if (alive.size === 0) process.exit(exitCode)
      return
    }
    if (!served.has(worker.id)) {
      console.error(`worker ${worker.process.pid} exited (${signal ?? code}) before listening; stopping`)
      stop(1)
      return
    }
    console.log(`worker ${worker.process.pid} exited (${signal ?? code}), starting another`)
    cluster.fork()
  })
  let exitCode = 0
  /** stop sends every worker SIGTERM and exits with `code` when they are gone (or after the workers' own bound). */
  const stop = (code: number) => {
    if (stopping) return
    stopping = true
    exitCode = code
    if (alive.size === 0) process.exit(code)
    // Not worker.kill(): it disconnects first, and a disconnected worker exits at once.
    for (const worker of alive) worker.process.kill('SIGTERM')
    // A worker stops within its own bound; one that does not is not waited for forever.
    setTimeout(() => {
      for (const worker of alive) worker.process.kill('SIGKILL')
      process.exit(code)
    }, stopTimeoutMs + 3000).unref()
  }
  process.on('SIGTERM', () => stop(0))
  process.on('SIGINT', () => stop(0))
  for (let i = 0; i < workers; i++) cluster.fork()
} else {
  const upgrader = new Upgrader({ onBeforeUpgrade: () => [['X-Worker', String(process.pid)]] })
  const connections = new ConnectionSet()
  const options = { heartbeat: heartbeatSettings(values) }
  const server = webSocketServer(upgrader, (socket, head) => connections.add(echoMessages(socket, head, options)))
  server.once('error', (error: NodeJS.ErrnoException) => {
    process.send!({ listenError: listenError(error, port) } satisfies ListenFailure, () => process.exit(1))
  })
  // Port 0 in a cluster: the primary picks one free port and every worker shares it.
  server.listen(port, '127.0.0.1')
  stopOnSignals(server, connections, { who: `worker ${process.pid}` })
  // If the primary goes away without stopping us, so do we.
  process.on('disconnect', () => process.exit(0))
}
