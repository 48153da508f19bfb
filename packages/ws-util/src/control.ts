import type { Writable } from 'node:stream'
import { CloseCode, OpCode, parseCloseBody } from '@ws-toolkit/ws-core'
import { CloseError } from './errors.js'
import { withoutStack } from './quiet-error.js'

/**
 * handleControlMessage applies RFC 6455's rules to a control frame received (§5.5): a ping is
 * answered with a pong of the same payload through `pong` (§5.5.2), a pong is ignored
 * (§5.5.3), and a close (§5.5.1) is returned as a {@link CloseError} for the caller to answer
 * (see {@link closeReplyCode}) and end on; `null` otherwise. `payload` is the caller's and
 * is read during the call only: `pong` must copy it or write it before returning.
 */
export function handleControlMessage(opCode: number, payload: Uint8Array, pong: (payload: Uint8Array) => void): CloseError | null {
  if (opCode === OpCode.Ping) {
    pong(payload)
  } else if (opCode === OpCode.Close) {
    const { code, reason } = parseCloseBody(payload)
    const text = new TextDecoder().decode(reason)
    return withoutStack(() => new CloseError(code, text))
  }
  return null
}

/**
 * closeReplyCode is the code to answer a peer's close with: the same code (RFC 6455 §5.5.1),
 * or none when the peer sent none (1005 must not be sent, §7.4.1).
 */
export function closeReplyCode(closed: CloseError): number | undefined {
  return closed.closeCode === CloseCode.NoStatusReceived ? undefined : closed.closeCode
}

/** ControlTarget is what the default control handling acts on: a MessageReader or a DataReader. */
export interface ControlTarget {
  /** pong answers a ping with `payload`, read during the call only (RFC 6455 §5.5.2). */
  pong(payload: Uint8Array): void
  /** close sends a close frame with `code` and `reason` (RFC 6455 §5.5.1). */
  close(code?: number, reason?: string): void
  /** end finishes the target with `reason`. */
  end(reason: Error): void
}

/**
 * answerControl is the readers' default control handling: a ping is answered with
 * `target.pong` (§5.5.2), a pong ignored (§5.5.3), and a close answered with the same code
 * (§5.5.1, see {@link closeReplyCode}) before the target ends with the {@link CloseError}.
 */
export function answerControl(target: ControlTarget, opCode: number, payload: Uint8Array): void {
  const closed = handleControlMessage(opCode, payload, (ping) => target.pong(ping))
  if (closed === null) return
  target.close(closeReplyCode(closed))
  target.end(closed)
}

/**
 * PongGate sends pongs through `send` while `socket` keeps up; while the socket is backed up
 * (the peer is not reading) it keeps only the latest ping's payload, copied, and sends its
 * pong on `drain`, as RFC 6455 §5.5.3 allows. A peer flooding pings cannot make this side
 * queue pongs without bound.
 */
export class PongGate {
  private readonly socket: Writable
  private readonly send: (payload: Uint8Array) => void
  private pending: Uint8Array | null = null
  private stopped = false

  /** new PongGate(socket, send) sends pongs through `send`, watching `socket` for backpressure. */
  constructor(socket: Writable, send: (payload: Uint8Array) => void) {
    this.socket = socket
    this.send = send
  }

  /** pong answers a ping with `payload` (read during the call only), now or on `drain`. */
  pong(payload: Uint8Array): void {
    if (this.stopped) return
    if (!this.socket.writableNeedDrain) {
      this.send(payload)
      return
    }
    if (this.pending === null) {
      this.socket.once('drain', () => {
        const latest = this.pending
        this.pending = null
        if (latest !== null) this.pong(latest)
      })
    }
    this.pending = new Uint8Array(payload) // a copy: slice() on a Buffer would be a view
  }

  /** stop drops a pending pong and sends no more: the connection is closing. */
  stop(): void {
    this.stopped = true
    this.pending = null
  }
}
