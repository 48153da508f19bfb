// The open connections of a server, so that it can close them when it stops: ws-util keeps no
// registry (it holds no state you did not ask for), so the examples keep this one. A
// connection is its reader (anything that can send a close frame, see ws-util's Closable) and
// leaves the set when its socket closes.
import { type Closable, closeGracefully } from '@ws-toolkit/ws-util'

export class Connections {
  private readonly open = new Set<Closable>()

  /** add keeps `connection` until its socket closes. */
  add(connection: Closable): void {
    if (connection.socket.destroyed) return
    this.open.add(connection)
    // 'close' comes once: on() spares once()'s wrapper, a bound function per connection.
    connection.socket.on('close', () => this.open.delete(connection))
  }

  get size(): number {
    return this.open.size
  }

  /**
   * closeAll runs the closing handshake on every open connection at once (ws-util's
   * closeGracefully): a close frame with `code` and `reason`, then at most `timeoutMs` for the
   * peer's close and the TCP close, after which what is left is destroyed. Resolves with how
   * many closed within the time (`clean`) and how many had to be cut.
   */
  async closeAll(code: number, reason: string, timeoutMs: number): Promise<{ clean: number; cut: number }> {
    const results = await Promise.all([...this.open].map((connection) => closeGracefully(connection, code, reason, timeoutMs).catch(() => {
      connection.socket.destroy()
      return false
    })))
    const clean = results.filter(Boolean).length
    return { clean, cut: results.length - clean }
  }
}
