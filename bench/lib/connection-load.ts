// A load process of the scale benchmark: it holds a slice of the connections (each a
// CheckedClient, see checked-client.ts) and runs the phases the parent asks for over IPC,
// answering each with what its clients counted. It never measures the server: the server
// measures itself. Connection number i connects from 127.0.B.(2 + i / perAddress), so that
// no source address runs out of ephemeral ports (about 28,000 each here).
import { type CheckedClient, type LoadStats, newStats, openClient, Shared } from './checked-client.js'

/** LoadCommand is what the parent asks of a load process. */
export type LoadCommand =
  | { kind: 'open'; port: number; request: string; floor: boolean; from: number; to: number; addressBase: string; perAddress: number }
  | { kind: 'echo' }
  | { kind: 'start' }
  | { kind: 'stop' }
  | { kind: 'close' }

/** OpenReport is the answer to 'open': connections upgraded, refused or failed, and how long it took. */
export interface OpenReport { opened: number; failed: number; seconds: number; errorMessages: string[] }

/** PhaseReport is the answer to 'echo', 'stop' and 'close': what the clients counted during the phase, and what is left outstanding. */
export interface PhaseReport extends LoadStats { outstanding: number; clean: number; cut: number; errorMessages: string[] }

/** How many handshakes a load process keeps in flight while opening. */
const openConcurrency = 256

/** difference is `now` minus `before`, field by field (the maximum latency is the phase's own: reset at each phase). */
function difference(now: LoadStats, before: LoadStats): LoadStats {
  return {
    sent: now.sent - before.sent, skipped: now.skipped - before.skipped, echoed: now.echoed - before.echoed, mismatched: now.mismatched - before.mismatched,
    unexpected: now.unexpected - before.unexpected, errors: now.errors - before.errors,
    latencySumMs: now.latencySumMs - before.latencySumMs, latencyMaxMs: now.latencyMaxMs,
  }
}

/** waitIdle resolves when no client has a message outstanding, or after `timeoutMs`, with how many are outstanding. */
async function waitIdle(clients: CheckedClient[], timeoutMs: number): Promise<number> {
  const deadline = Date.now() + timeoutMs
  for (;;) {
    let outstanding = 0
    for (const client of clients) if (!client.socket.destroyed) outstanding += client.outstanding
    if (outstanding === 0 || Date.now() >= deadline) return outstanding
    await new Promise((resolve) => setTimeout(resolve, 50))
  }
}

/**
 * runLoad runs this process as a load process: it says it is ready, then answers the parent's
 * commands one at a time, and exits when the parent goes.
 */
export function runLoad(): void {
  const shared = new Shared()
  let clients: CheckedClient[] = []
  let mark = newStats()
  let traffic: NodeJS.Timeout | null = null

  /** phase reports the counts since the last phase and starts the next one. */
  const phase = (outstanding: number, clean = 0, cut = 0): PhaseReport => {
    const report = { ...difference(shared.stats, mark), outstanding, clean, cut, errorMessages: shared.errorMessages.splice(0) }
    mark = { ...shared.stats }
    shared.stats.latencyMaxMs = 0
    return report
  }

  /** open opens connections `from` to `to`, `openConcurrency` handshakes at a time, and reports how many upgraded. */
  const open = async (command: Extract<LoadCommand, { kind: 'open' }>): Promise<OpenReport> => {
    const start = performance.now()
    const request = Buffer.from(command.request, 'latin1')
    let next = command.from
    let failed = 0
    const errors: string[] = []
    /** worker opens the next connection not yet started until none is left. */
    const worker = async () => {
      while (next < command.to) {
        const id = next++
        const localAddress = `${command.addressBase}${2 + Math.floor(id / command.perAddress)}`
        try {
          clients.push(await openClient(id, { port: command.port, localAddress, request, floor: command.floor, shared }))
        } catch (error) {
          failed++
          if (errors.length < 5) errors.push(`connection ${id} from ${localAddress}: ${(error as Error).message}`)
        }
      }
    }
    await Promise.all(Array.from({ length: openConcurrency }, worker))
    clients.sort((a, b) => a.id - b.id)
    mark = { ...shared.stats }
    return { opened: clients.length, failed, seconds: (performance.now() - start) / 1000, errorMessages: errors }
  }

  /**
   * startTraffic sends every client one message a second, spread evenly: every 10 ms, the
   * clients of the next of 100 slots send, each unless its last message is still unanswered
   * (then the send is counted as skipped): a server that cannot keep up is offered less, and
   * its backlog stays bounded by the connections.
   */
  const startTraffic = () => {
    const start = performance.now()
    let slot = 0
    traffic = setInterval(() => {
      const due = Math.floor((performance.now() - start) / 10)
      for (; slot <= due; slot++) {
        for (let i = slot % 100; i < clients.length; i += 100) {
          if (clients[i].outstanding === 0) clients[i].send()
          else shared.stats.skipped++
        }
      }
    }, 10)
  }

  /** handle runs one command and resolves with its answer. */
  const handle = async (command: LoadCommand): Promise<unknown> => {
    switch (command.kind) {
      case 'open':
        return open(command)
      case 'echo':
        for (const client of clients) client.send()
        return phase(await waitIdle(clients, 60_000))
      case 'start':
        startTraffic()
        return { started: true }
      case 'stop':
        if (traffic !== null) clearInterval(traffic)
        traffic = null
        return phase(await waitIdle(clients, 30_000))
      case 'close': {
        const results = await Promise.all(clients.map((client) => client.close(15_000)))
        const clean = results.filter(Boolean).length
        clients = []
        return phase(0, clean, results.length - clean)
      }
    }
  }

  process.on('message', (command: LoadCommand) => {
    handle(command).then((answer) => process.send!(answer), (error) => {
      console.error(error)
      process.exit(1)
    })
  })
  process.on('disconnect', () => process.exit(0))
  process.send!({ ready: true })
}
