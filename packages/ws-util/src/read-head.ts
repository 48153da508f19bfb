import type { Duplex } from 'node:stream'
import { HandshakeTimeoutError, SocketClosedError } from './errors.js'

/** HandshakeOptions bounds the wait for the other side's handshake head. */
export interface HandshakeOptions {
  /** Give up, destroy the socket and reject after this long. Default 10 s; 0 waits forever. */
  timeoutMs?: number | undefined
  /** Abort the handshake: the socket is destroyed and the promise rejects with the signal's reason. */
  signal?: AbortSignal | undefined
}

/** defaultHandshakeTimeoutMs bounds how long a slow peer may hold a socket before the handshake completes. */
export const defaultHandshakeTimeoutMs = 10_000

/**
 * destroyOnError is the `'error'` listener the handshake helpers leave on a socket they hand
 * over, so that a reset arriving before the caller attaches its own listener destroys the
 * socket (and emits `'close'`) instead of crashing the process. Remove it once you listen.
 */
export function destroyOnError(this: Duplex): void {
  this.destroy()
}

/**
 * readHead collects bytes from `socket` until `parse` returns a value (not null) for the bytes
 * so far, then resolves with it and those bytes. `parse` bounds the buffering: it must throw,
 * or return a value, once the bytes break its limits. A head that arrives in one chunk (the
 * usual case) is parsed where it lies; pieces are gathered in a buffer that doubles as needed,
 * and `parse` runs only when a piece brings a line feed or the bytes have doubled since it last
 * ran, so a peer trickling bytes costs linear time, not quadratic.
 *
 * On success the socket is paused, with {@link destroyOnError} as its only listener of ours:
 * the caller attaches its handlers, then resumes it. On timeout, abort, close or a throw from
 * `parse` the socket is destroyed and the promise rejects.
 */
export function readHead<T>(socket: Duplex, parse: (bytes: Uint8Array) => T | null, options: HandshakeOptions = {}): Promise<{
  /** value is what `parse` returned. */
  value: T
  /** bytes is every byte read, the head and what came behind it: the socket's chunk when the head came in one, else readHead's own buffer; yours. */
  bytes: Uint8Array
}> {
  return new Promise((resolve, reject) => {
    collectHead(socket, parse, options, (value, bytes) => resolve({ value, bytes }), reject)
  })
}

/**
 * collectHead is {@link readHead} with callbacks instead of a promise, for the handshake
 * helpers (acceptSocket answers in the same `data` event that completes the head, with no
 * promise and no microtask of its own in between): `done` is called once with the value and
 * the bytes, the socket paused; or `failed` once, the socket destroyed. The handshake timeout
 * is one `setTimeout` per socket, cleared at the end (measured: about 0.3 µs a socket, under
 * a thousandth of a connection's server CPU; neither a shared timer wheel nor
 * `socket.setTimeout`, which re-arms on every read and write, is worth its code).
 */
export function collectHead<T>(socket: Duplex, parse: (bytes: Uint8Array) => T | null, options: HandshakeOptions,
  done: (value: T, bytes: Uint8Array) => void, failed: (error: unknown) => void): void {
  const timeoutMs = options.timeoutMs ?? defaultHandshakeTimeoutMs
  const signal = options.signal
  // The first piece is kept as is; from the second on, pieces gather in a doubling buffer.
  let first: Uint8Array | null = null
  let buffer: Uint8Array | null = null
  let length = 0
  let parseAt = 0
  let timer: NodeJS.Timeout | undefined
  const cleanup = () => {
    socket.off('data', onData)
    socket.off('end', onClose)
    socket.off('close', onClose)
    socket.off('error', onError)
    if (signal !== undefined) signal.removeEventListener('abort', onAbort)
    if (timer !== undefined) clearTimeout(timer)
    // The one listener of ours left on the socket: see destroyOnError.
    socket.on('error', destroyOnError)
  }
  const fail = (error: unknown) => {
    cleanup()
    socket.destroy()
    failed(error)
  }
  const onData = (chunk: Buffer) => {
    let bytes: Uint8Array
    if (length === 0) {
      first = chunk
      bytes = chunk
    } else {
      if (buffer === null || buffer.length < length + chunk.length) {
        const grown = new Uint8Array(Math.max(2 * (length + chunk.length), 1024))
        grown.set(buffer === null ? (first as Uint8Array) : buffer.subarray(0, length))
        buffer = grown
      }
      buffer.set(chunk, length)
      bytes = buffer.subarray(0, length + chunk.length)
    }
    length += chunk.length
    if (chunk.indexOf(0x0a) === -1 && length < parseAt) return
    parseAt = 2 * length
    let value: T | null
    try {
      value = parse(bytes)
    } catch (error) {
      fail(error)
      return
    }
    if (value === null) return
    cleanup()
    socket.pause()
    done(value, bytes)
  }
  const onClose = () => fail(new SocketClosedError(length))
  const onError = (error: Error) => fail(error)
  const onAbort = () => fail(signal!.reason)
  if (signal !== undefined) {
    if (signal.aborted) {
      socket.on('error', destroyOnError)
      socket.destroy()
      failed(signal.reason)
      return
    }
    signal.addEventListener('abort', onAbort, { once: true })
  }
  if (timeoutMs > 0) timer = setTimeout(() => fail(new HandshakeTimeoutError(timeoutMs)), timeoutMs)
  socket.on('data', onData)
  socket.on('end', onClose)
  socket.on('close', onClose)
  socket.on('error', onError)
}

/** refusedLingerMs is how long a refused socket may stay open for its response to be read. */
export const refusedLingerMs = 2000

/**
 * endRefused sends a refusal's complete response and closes the socket: input is read and
 * dropped (so that the peer's further bytes do not reset the connection before it reads the
 * answer), errors destroy it, and it is destroyed after {@link refusedLingerMs} at the latest
 * (a timer cleared when the socket closes first, so a refused socket leaves nothing behind).
 */
export function endRefused(socket: Duplex, response: Uint8Array): void {
  socket.on('error', destroyOnError)
  socket.end(response)
  socket.resume()
  const timer = setTimeout(destroyRefused, refusedLingerMs, socket).unref()
  socket.once('close', () => clearTimeout(timer))
}

/** destroyRefused ends a refused socket whose peer has not closed within {@link refusedLingerMs}. */
function destroyRefused(socket: Duplex): void {
  socket.destroy()
}

/**
 * withinDeadline runs `work` with one signal that aborts at `options.timeoutMs` (a
 * HandshakeTimeoutError; default 10 s, 0 for none) or with `options.signal`, whichever first;
 * the timer and the listener are gone when it settles. For a handshake of several steps
 * (a proxy, TLS, the WebSocket's), whose `readHead` timers would each start afresh.
 */
export async function withinDeadline<T>(options: HandshakeOptions, work: (signal: AbortSignal) => Promise<T>): Promise<T> {
  const timeoutMs = options.timeoutMs ?? defaultHandshakeTimeoutMs
  const outer = options.signal
  const controller = new AbortController()
  const onAbort = () => controller.abort(outer!.reason)
  if (outer?.aborted) onAbort()
  outer?.addEventListener('abort', onAbort, { once: true })
  const timer = timeoutMs > 0 ? setTimeout(() => controller.abort(new HandshakeTimeoutError(timeoutMs)), timeoutMs) : undefined
  try {
    return await work(controller.signal)
  } finally {
    clearTimeout(timer)
    outer?.removeEventListener('abort', onAbort)
  }
}
