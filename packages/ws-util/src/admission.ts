import type { Duplex } from 'node:stream'
import { type Extension, HandshakeRejection, rejectionResponse } from '@ws-toolkit/ws-core'
import type { Accepted, AcceptedRequest } from './accept.js'
import { HandshakeTimeoutError, SocketClosedError } from './errors.js'
import { endRefused } from './read-head.js'

/**
 * Admission is what an {@link Admit} hook judges: a request the Upgrader has accepted (every
 * RFC 6455 §4.2.1 rule and every Upgrader callback passed), before its 101 is written. The
 * objects are the connection's own (the same `request` ends on {@link Accepted.request}); the
 * hook may keep them.
 */
export interface Admission {
  /** request is what the request said: path, query, remote address and the headers named in `keepHeaders` (RFC 9112 §3.2, RFC 9110 §5). */
  readonly request: AcceptedRequest
  /** protocol is the subprotocol the Upgrader chose, or null (RFC 6455 §4.2.2). */
  readonly protocol: string | null
  /** extensions are the extensions the Upgrader accepted (RFC 6455 §9.1). */
  readonly extensions: readonly Extension[]
  /**
   * signal aborts when the admission is abandoned: the peer closed or reset the connection,
   * the handshake deadline passed, or the caller's own signal aborted. Its reason is the error
   * the accept call rejects with. Pass it on to the lookups the hook makes (`fetch`, a store
   * client) so that they stop too; whatever the hook settles with afterwards is ignored.
   */
  readonly signal: AbortSignal
}

/**
 * Admit decides whether a handshake the Upgrader accepted may complete: return (or resolve)
 * to admit it; throw (or reject with) a `HandshakeRejection` from ws-core to refuse it with
 * that status, those header fields and that message as body (RFC 6455 §4.2.1: "an appropriate
 * HTTP error code"). Any other error refuses it with 500 and is what the accept call rejects
 * with. A hook that returns synchronously costs no promise and no microtask: the 101 is written
 * in the same turn, as without a hook.
 */
export type Admit = (admission: Admission) => void | PromiseLike<void>

/**
 * AdmissionOptions adds an asynchronous check (a token looked up in a store, a rate limit)
 * between the Upgrader's verdict and the 101, the equivalent of npm `ws`'s `verifyClient`
 * with a callback. While the hook runs, the connection is held: bytes the client sends behind
 * its request (its first frames) are read and kept, up to {@link AdmissionOptions.maxEarlyBytes},
 * so that a peer that leaves is noticed at once; past that bound the socket is paused, and the
 * deadline alone ends a peer that leaves. The handshake's deadline (`timeoutMs`, counted from
 * the accept call) and abort signal cover the hook: when either ends it, or the peer leaves,
 * the socket is destroyed, {@link Admission.signal} aborts, the accept call rejects (with a
 * `HandshakeTimeoutError`, the signal's reason or a `SocketClosedError`), and nothing of ours
 * stays behind: no listener, no timer.
 */
export interface AdmissionOptions {
  /** admit is the hook; without it the 101 is written as soon as the Upgrader accepts. */
  admit?: Admit | undefined
  /**
   * maxEarlyBytes bounds what is read and kept from the client while the hook runs (its first
   * frames, which become {@link Accepted.head}); default {@link defaultMaxEarlyBytes}. Reading
   * stops there (the bytes are not dropped: TCP holds the rest back).
   */
  maxEarlyBytes?: number | undefined
}

/** defaultMaxEarlyBytes is how much a client may send while its admission runs before the socket is paused: 64 KiB. */
export const defaultMaxEarlyBytes = 64 * 1024

/** admissionFailed answers a hook that failed with an error other than a HandshakeRejection. */
const admissionFailed = new HandshakeRejection(500, 'admission check failed')

/**
 * Pending is a handshake the Upgrader accepted whose 101 waits for an {@link Admit} hook: the
 * connection as it will be handed over (socket paused, `head` the early bytes so far), its
 * request, the 101 to write, and the deadline.
 */
export interface Pending<S extends Duplex> {
  /** accepted is the connection to hand over once admitted; its `head` grows with the early bytes. */
  accepted: Accepted<S>
  /** request is `accepted.request`, never null here. */
  request: AcceptedRequest
  /** response is the 101 response to write once admitted (RFC 6455 §4.2.2). */
  response: Uint8Array
  /** received is how many bytes of the request had been read from the socket (0 when `node:http` read it), for a SocketClosedError. */
  received: number
  /** timeoutMs is the handshake's deadline (0: none), for a HandshakeTimeoutError's message. */
  timeoutMs: number
  /** deadlineMs is the time left of it when the hook starts. */
  deadlineMs: number
}

/**
 * admitConnection runs `admit` on `pending`, then writes its 101 and calls `resolve`, or
 * answers the refusal and calls `reject`, or destroys the socket and calls `reject` when the
 * admission is abandoned (see {@link AdmissionOptions}).
 */
export function admitConnection<S extends Duplex>(pending: Pending<S>, admit: Admit, options: AdmissionOptions & { signal?: AbortSignal | undefined },
  resolve: (accepted: Accepted<S>) => void, reject: (error: unknown) => void): void {
  const { accepted, response, timeoutMs } = pending
  const { socket } = accepted
  const controller = new AbortController()
  let outcome: void | PromiseLike<void>
  try {
    outcome = admit({ request: pending.request, protocol: accepted.protocol, extensions: accepted.extensions, signal: controller.signal })
  } catch (error) {
    refuse(socket, error, reject)
    return
  }
  if (outcome === undefined || typeof outcome.then !== 'function') {
    socket.write(response)
    resolve(accepted)
    return
  }

  const signal = options.signal
  const maxEarlyBytes = options.maxEarlyBytes ?? defaultMaxEarlyBytes
  const early: Uint8Array[] = accepted.head.length > 0 ? [accepted.head] : []
  let earlyLength = accepted.head.length
  let settled = false
  let timer: NodeJS.Timeout | undefined
  const cleanup = () => {
    settled = true
    socket.off('data', onData)
    socket.off('end', onEnd)
    socket.off('close', onEnd)
    socket.off('error', onError)
    if (signal !== undefined) signal.removeEventListener('abort', onAbort)
    if (timer !== undefined) clearTimeout(timer)
  }
  const abandon = (reason: unknown) => {
    cleanup()
    socket.destroy()
    controller.abort(reason)
    reject(reason)
  }
  const onData = (chunk: Buffer) => {
    early.push(chunk)
    earlyLength += chunk.length
    if (earlyLength >= maxEarlyBytes) socket.pause()
  }
  const onEnd = () => abandon(new SocketClosedError(pending.received + earlyLength))
  const onError = (error: Error) => abandon(error)
  const onAbort = () => abandon(signal!.reason)
  const admitted = () => {
    if (settled) return
    cleanup()
    socket.pause()
    socket.write(response)
    accepted.head = early.length === 1 ? early[0] : early.length === 0 ? accepted.head : Buffer.concat(early, earlyLength)
    resolve(accepted)
  }
  const refused = (error: unknown) => {
    if (settled) return
    cleanup()
    refuse(socket, error, reject)
  }
  outcome.then(admitted, refused)
  if (signal?.aborted) {
    abandon(signal.reason)
    return
  }
  signal?.addEventListener('abort', onAbort, { once: true })
  if (timeoutMs > 0) timer = setTimeout(() => abandon(new HandshakeTimeoutError(timeoutMs)), Math.max(pending.deadlineMs, 1))
  socket.on('data', onData)
  socket.on('end', onEnd)
  socket.on('close', onEnd)
  socket.on('error', onError)
  if (earlyLength < maxEarlyBytes) socket.resume()
}

/**
 * refuse answers `error` (a HandshakeRejection as itself, anything else as 500) and closes the
 * socket ({@link endRefused}), then rejects with `error`. A rejection whose header fields cannot
 * be written (a TypeError from ws-core's `rejectionResponse`) destroys the socket and rejects
 * with that TypeError.
 */
function refuse(socket: Duplex, error: unknown, reject: (error: unknown) => void): void {
  let response: Uint8Array
  try {
    response = rejectionResponse(error instanceof HandshakeRejection ? error : admissionFailed)
  } catch (renderError) {
    socket.destroy()
    reject(renderError)
    return
  }
  endRefused(socket, response)
  reject(error)
}
