// Stopping a server on SIGINT (Ctrl-C) or SIGTERM as RFC 6455 §7.4.1 asks of an endpoint that
// goes away, with ws-util's shutdown: stop accepting, send every open connection a close frame
// with 1001 ("going away"), wait a bounded time for the peers to close, cut what is left. Here
// it says so in one line and exits 0: being asked to stop is not a failure. A second signal
// while stopping changes nothing (Ctrl-C reaches every process of the terminal's group, and
// cluster's primary forwards it too): the wait is bounded anyway. A framework's close that
// returns a promise (fastify.close(), which resolves once every socket of its server is gone)
// is waited for too, after the connections, within the same bound again; so is the program's
// own last step (`afterClose`: closing a broker's connections, printing what it counted).
import { type ConnectionSet, type Listener, shutdown } from '@ws-toolkit/ws-util'

/** How long a stopping server waits for its peers' closes before it cuts them. */
export const stopTimeoutMs = 2000

export interface StopOptions {
  /** What the line names: `worker 1234` in a cluster; nothing by default. */
  who?: string
  timeoutMs?: number
  /**
   * afterClose runs once the connections are closed, before the line and the exit, and is
   * waited for (a promise it returns) for at most the timeout: the program's last words.
   */
  afterClose?: () => void | Promise<void>
}

/**
 * stopOnSignals stops `server` and closes `connections` on SIGINT or SIGTERM, then exits 0.
 * When `server.close()` returns a promise (a framework's close), that is awaited too, after
 * the connections, for at most the timeout, and then `options.afterClose`.
 */
export function stopOnSignals(server: Listener, connections: ConnectionSet, options: StopOptions = {}): void {
  const timeoutMs = options.timeoutMs ?? stopTimeoutMs
  let stopping = false
  const stop = async (signal: NodeJS.Signals) => {
    if (stopping) return
    stopping = true
    // shutdown calls close() first: keep what it returns.
    let closing: unknown
    const listener: Listener = { close: () => (closing = server.close()) }
    if (server.closeIdleConnections) listener.closeIdleConnections = () => server.closeIdleConnections!()
    const { clean, cut } = await shutdown(listener, connections, { reason: 'server stopping', timeoutMs })
    if (closing instanceof Promise) await settled(closing, timeoutMs)
    if (options.afterClose) await settled(Promise.resolve().then(options.afterClose), timeoutMs)
    const who = options.who === undefined ? '' : `${options.who}: `
    console.log(`${who}stopped on ${signal}: ${clean} connection${clean === 1 ? '' : 's'} closed cleanly with 1001 (going away), ${cut} cut (no close within ${timeoutMs} ms)`)
    process.exit(0)
  }
  process.on('SIGINT', stop)
  process.on('SIGTERM', stop)
}

/** settled resolves when `promise` settles (either way) or after `timeoutMs`, whichever is first. */
function settled(promise: Promise<unknown>, timeoutMs: number): Promise<void> {
  return new Promise((resolve) => {
    const timer = setTimeout(resolve, timeoutMs)
    const done = () => {
      clearTimeout(timer)
      resolve()
    }
    promise.then(done, done)
  })
}
