import type { Duplex } from 'node:stream'

/** Closable is a reader that can send a close frame: a {@link MessageReader} or a {@link DataReader}. */
export interface Closable {
  /** socket is the connection's socket. */
  readonly socket: Duplex
  /** close sends a close frame with `code` and `reason` (RFC 6455 §5.5.1). */
  close(code?: number, reason?: string): void
}

/** defaultCloseTimeoutMs: how long {@link closeGracefully} waits for the peer by default. */
export const defaultCloseTimeoutMs = 5000

/**
 * closeGracefully runs this side's closing handshake (RFC 6455 §7.1.2): it sends a close
 * frame with `code` and `reason` through `reader`, which keeps reading until the peer's close
 * comes back (a server then ends TCP first, §7.1.1), and waits at most `timeoutMs` for the
 * connection to finish. A peer that never answers, or never closes TCP, has its socket
 * destroyed then. Resolves `true` when the connection closed within the time, `false` when
 * it had to be destroyed. The only timer is this call's own, cleared when it resolves.
 */
export function closeGracefully(reader: Closable, code?: number, reason?: string, timeoutMs = defaultCloseTimeoutMs): Promise<boolean> {
  const socket = reader.socket
  if (socket.destroyed) return Promise.resolve(true)
  try {
    reader.close(code, reason)
  } catch (error) {
    return Promise.reject(error) // a bad code or reason: nothing was sent, no timer started
  }
  return new Promise((resolve) => {
    const timer = setTimeout(() => {
      socket.off('close', closed)
      socket.destroy()
      resolve(false)
    }, timeoutMs)
    const closed = () => {
      clearTimeout(timer)
      resolve(true)
    }
    socket.once('close', closed)
  })
}
