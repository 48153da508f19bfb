import type { Duplex } from 'node:stream'
import { HandshakeTimeoutError, SocketClosedError } from './errors.js'

/** HandshakeOptions bounds the wait for the other side's handshake head. */
export interface HandshakeOptions {
  /** Give up, destroy the socket and reject after this long. Default 10 s; 0 waits forever. */
  timeoutMs?: number
  /** Abort the handshake: the socket is destroyed and the promise rejects with the signal's reason. */
  signal?: AbortSignal
}

/** defaultHandshakeTimeoutMs bounds how long a slow peer may hold a socket before the handshake completes. */
export const defaultHandshakeTimeoutMs = 10_000

/**
 * readHead collects bytes from `socket` until `parse` returns a value (not null) for the
 * bytes so far, which it then resolves with along with those bytes. `parse` bounds the
 * buffering: it must throw, or return a value, once the bytes break its limits. When the head
 * arrives in one chunk (the usual case) that chunk is parsed where it lies; only a head split
 * across chunks is joined into a new buffer. On success the socket is paused with no listener
 * of ours left: the caller resumes it. On timeout, abort or close the socket is destroyed.
 */
export function readHead<T>(socket: Duplex, parse: (bytes: Uint8Array) => T | null, options: HandshakeOptions = {}): Promise<{ value: T; bytes: Uint8Array }> {
  const { timeoutMs = defaultHandshakeTimeoutMs, signal } = options
  return new Promise((resolve, reject) => {
    let bytes: Uint8Array = Buffer.alloc(0)
    let timer: NodeJS.Timeout | undefined
    const cleanup = () => {
      socket.off('data', onData)
      socket.off('end', onClose)
      socket.off('close', onClose)
      socket.off('error', onError)
      signal?.removeEventListener('abort', onAbort)
      clearTimeout(timer)
    }
    const fail = (error: unknown) => {
      cleanup()
      socket.destroy()
      reject(error)
    }
    const onData = (chunk: Buffer) => {
      bytes = bytes.length === 0 ? chunk : Buffer.concat([bytes, chunk])
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
      resolve({ value, bytes })
    }
    const onClose = () => fail(new SocketClosedError(bytes.length))
    const onError = (error: Error) => fail(error)
    const onAbort = () => fail(signal?.reason)
    if (signal?.aborted) {
      fail(signal.reason)
      return
    }
    signal?.addEventListener('abort', onAbort, { once: true })
    if (timeoutMs > 0) timer = setTimeout(() => fail(new HandshakeTimeoutError(timeoutMs)), timeoutMs)
    socket.on('data', onData)
    socket.on('end', onClose)
    socket.on('close', onClose)
    socket.on('error', onError)
  })
}
