// Multi-core echo with node:cluster: the primary forks one worker per core (or --workers N),
// and every worker runs the same echo server as echo.ts on the shared port; the primary's
// listening socket hands connections to the workers in turn. Each worker names itself in
// the handshake response (an X-Worker header added by the Upgrader's onBeforeUpgrade), so a
// client can see which process it got.
//
//   pnpm exec tsx examples/cluster.ts --port 8080 [--workers 2]
import cluster from 'node:cluster'
import { availableParallelism } from 'node:os'
import { parseArgs } from 'node:util'
import { Upgrader } from '@ws-toolkit/ws-core'
import { echoMessages } from './lib/echo.js'
import { webSocketServer } from './lib/server.js'

const { values } = parseArgs({ options: { port: { type: 'string', default: '8080' }, workers: { type: 'string' } } })
const port = Number(values.port)
if (!Number.isInteger(port) || port < 0 || port > 65535) throw new TypeError(`invalid --port ${values.port}`)

if (cluster.isPrimary) {
  const workers = values.workers === undefined ? availableParallelism() : Number(values.workers)
  if (!Number.isInteger(workers) || workers < 1) throw new TypeError(`invalid --workers ${values.workers}`)
  let listening = 0
  const served = new Set<number>()
  cluster.on('listening', (worker, address) => {
    served.add(worker.id)
    console.log(`worker ${worker.process.pid} listening`)
    if (++listening === workers) console.log(`listening on 127.0.0.1:${address.port} with ${workers} workers`)
  })
  // A worker that dies after it was serving is replaced. One that dies before it could listen
  // (a port in use, say) would die again: the primary gives up instead of forking forever.
  // On SIGTERM or SIGINT the workers go with the primary.
  cluster.on('exit', (worker, code, signal) => {
    if (stopping) return
    if (!served.has(worker.id)) {
      console.error(`worker ${worker.process.pid} exited (${signal ?? code}) before listening; stopping`)
      stop(1)
    }
    console.log(`worker ${worker.process.pid} exited (${signal ?? code}), starting another`)
    cluster.fork()
  })
  let stopping = false
  const stop = (code = 0): never => {
    stopping = true
    for (const worker of Object.values(cluster.workers ?? {})) worker?.kill()
    process.exit(code)
  }
  process.on('SIGTERM', () => stop())
  process.on('SIGINT', () => stop())
  for (let i = 0; i < workers; i++) cluster.fork()
} else {
  const upgrader = new Upgrader({ onBeforeUpgrade: () => [['X-Worker', String(process.pid)]] })
  const server = webSocketServer(upgrader, (socket, head) => echoMessages(socket, head))
  // Port 0 in a cluster: the primary picks one free port and every worker shares it.
  server.listen(port, '127.0.0.1')
  // If the primary goes away without killing us, so do we.
  process.on('disconnect', () => process.exit(0))
}
