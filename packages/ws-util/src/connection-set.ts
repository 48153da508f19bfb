import type { Duplex } from 'node:stream'
import { CloseCode, encodeCloseBody } from '@ws-toolkit/ws-core'
import { type Closable, defaultCloseTimeoutMs } from './closing.js'

/** The set a socket belongs to, kept on the socket so that one shared 'close' listener finds it. */
const memberOf = Symbol('ws-util.ConnectionSet')

/** A socket that belongs to a {@link ConnectionSet}. */
type Member = Duplex & { [memberOf]?: unknown }

/**
 * CloseReport says how the connections of one {@link ConnectionSet.closeAll} ended (RFC 6455
 * §7.1.1, §7.1.2).
 */
export interface CloseReport<C extends Closable = Closable> {
  /** clean counts the connections whose TCP connection closed within the time: the peer answered the close frame (§7.1.2). */
  clean: number
  /** cut counts the connections destroyed when the time ran out: the peer did not answer, or did not close TCP (§7.1.1). */
  cut: number
  /** unanswered holds the connections that were cut, for logging who they were. */
  unanswered: C[]
}

/** One closeAll in progress: the connections still open, and what to do when they have gone. */
interface Closing<C extends Closable> {
  code: number
  reason: string
  clean: number
  /** The connections whose close frame could not be sent: destroyed at once. */
  failed: C[]
  timer: NodeJS.Timeout
  resolve: (report: CloseReport<C>) => void
}

/**
 * ConnectionSet holds a server's open connections, opt-in, so that it can close them all when
 * it stops (RFC 6455 §7.4.1's 1001, "going away"): ws-util keeps no registry unless you make
 * one. A connection is anything that can send a close frame ({@link Closable}: a
 * {@link DataReader}, a {@link MessageReader}, your own) and leaves the set when its socket
 * emits 'close'. Per connection the set holds a map entry and a property on the socket; the
 * 'close' listener is one function shared by every socket of every set, not a closure each.
 * A socket belongs to one set at a time. No timer runs except during {@link closeAll}.
 */
export class ConnectionSet<C extends Closable = Closable> {
  private readonly open = new Map<Duplex, C>()
  private closing: Closing<C> | null = null
  private report: Promise<CloseReport<C>> | null = null

  /**
   * add keeps `connection` until its socket closes; `false` when the socket is already
   * destroyed (nothing kept). While {@link closeAll} runs, a connection added (a handshake that
   * finished late) is sent the same close frame at once and waited for with the rest. Adding a
   * connection whose socket is in another set throws.
   */
  add(connection: C): boolean {
    const socket = connection.socket as Member
    if (socket.destroyed) return false
    const owner = socket[memberOf]
    if (owner === this) return true
    if (owner !== undefined) throw new Error('this socket is in another ConnectionSet')
    socket[memberOf] = this
    socket.on('close', leave)
    this.open.set(socket, connection)
    if (this.closing !== null) {
      this.sendClose(connection, this.closing)
      this.settleIfDone()
    }
    return true
  }

  /** delete forgets `connection` without closing it; `true` if it was in the set. */
  delete(connection: C): boolean {
    const socket = connection.socket as Member
    if (socket[memberOf] !== this) return false
    socket.off('close', leave)
    socket[memberOf] = undefined
    return this.open.delete(socket)
  }

  /** has tells whether `connection` is in the set. */
  has(connection: C): boolean {
    return this.open.get(connection.socket) === connection
  }

  /** size is how many connections are open. */
  get size(): number {
    return this.open.size
  }

  /** Iterates the open connections. */
  [Symbol.iterator](): IterableIterator<C> {
    return this.open.values()
  }

  /**
   * closeAll runs the closing handshake on every open connection at once (RFC 6455 §7.1.2):
   * a close frame with `code` (1001, going away, by default: §7.4.1) and `reason`, after which a
   * server's reader ends TCP first (§7.1.1) and each connection leaves when its socket closes.
   * When all have left, or after `timeoutMs`, it resolves with a {@link CloseReport}: the ones
   * still open then are destroyed and counted as cut. One timer for the whole set, cleared when
   * it resolves. A bad code or reason rejects at once, before anything is sent. A call while
   * one runs returns that one's report.
   */
  closeAll(code: number = CloseCode.GoingAway, reason = '', timeoutMs = defaultCloseTimeoutMs): Promise<CloseReport<C>> {
    if (this.report !== null) return this.report
    try {
      encodeCloseBody(code, reason) // the readers would throw the same, one connection in
    } catch (error) {
      return Promise.reject(error)
    }
    this.report = new Promise<CloseReport<C>>((resolve) => {
      const timer = setTimeout(() => this.cut(), timeoutMs)
      const closing: Closing<C> = { code, reason, clean: 0, failed: [], timer, resolve }
      this.closing = closing
      for (const connection of [...this.open.values()]) this.sendClose(connection, closing)
      this.settleIfDone()
    })
    return this.report
  }

  /** left is called by the shared listener when `socket` closes. */
  private left(socket: Member): void {
    // Only a member's socket calls here: whatever takes a socket out of the set (delete, cut)
    // also takes the listener off it.
    this.open.delete(socket)
    socket[memberOf] = undefined // not delete: the socket keeps its shape
    if (this.closing === null) return
    this.closing.clean++
    this.settleIfDone()
  }

  /** settleIfDone resolves the running closeAll once every connection has gone. */
  private settleIfDone(): void {
    const closing = this.closing
    if (closing === null || this.open.size > 0) return
    clearTimeout(closing.timer)
    this.finish({ clean: closing.clean, cut: closing.failed.length, unanswered: closing.failed })
  }

  /** cut destroys what is still open when the time runs out. */
  private cut(): void {
    const closing = this.closing!
    const unanswered = [...closing.failed, ...this.open.values()]
    for (const socket of this.open.keys() as Iterable<Member>) {
      socket.off('close', leave)
      socket[memberOf] = undefined
      socket.destroy()
    }
    this.open.clear()
    this.finish({ clean: closing.clean, cut: unanswered.length, unanswered })
  }

  /** finish resolves the report and lets the set be used (and closed) again. */
  private finish(report: CloseReport<C>): void {
    const { resolve } = this.closing!
    this.closing = null
    this.report = null
    resolve(report)
  }

  /** sendClose sends the close frame; a connection that fails to send it is destroyed and counted as cut. */
  private sendClose(connection: C, closing: Closing<C>): void {
    try {
      connection.close(closing.code, closing.reason)
    } catch {
      this.delete(connection)
      connection.socket.destroy()
      closing.failed.push(connection)
    }
  }
}

/** leave is the 'close' listener every member socket shares (called with the socket as `this`). */
function leave(this: Member): void {
  (this[memberOf] as ConnectionSet | undefined)?.['left'](this)
}
