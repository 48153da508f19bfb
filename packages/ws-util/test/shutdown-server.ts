// A server process for shutdown.test.ts: the net path (acceptSocket + readClientData) with a
// ConnectionSet, stopped on SIGTERM by shutdown(). It prints `port N` when listening and the
// report as JSON when stopped, then exits 0. Argument: the shutdown bound in ms.
import { ConnectionSet, type DataReader, shutdown } from '../src/index.js'
import { netServer } from './connection-helpers.js'

const timeoutMs = Number(process.argv[2] ?? 5000)
const connections = new ConnectionSet<DataReader>()
const server = netServer(connections)
server.listen(0, '127.0.0.1', () => console.log(`port ${(server.address() as { port: number }).port}`))
process.once('SIGTERM', async () => {
  const { clean, cut } = await shutdown(server, connections, { timeoutMs, reason: 'server stopping' })
  console.log(JSON.stringify({ clean, cut }))
  process.exit(0)
})
