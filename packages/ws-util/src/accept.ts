import type { Duplex } from 'node:stream'
import type { IncomingMessage } from 'node:http'
import type { Extension, HandshakeRejection, Upgrader, UpgradeResult } from '@ws-toolkit/ws-core'
import { collectHead, destroyOnError, endRefused, type HandshakeOptions } from './read-head.js'

/**
 * Accepted is an open WebSocket connection after the server's handshake (RFC 6455 §4.2.2):
 * the socket, the chosen subprotocol and extensions, and `head`, the bytes the client sent
 * right behind its request (its first frames), a view that is yours to process before anything
 * the socket reads next. The socket is paused, and its only listener of ours is
 * {@link destroyOnError}: attach your handlers (and your own `'error'` listener), then resume it.
 */
export interface Accepted<S extends Duplex = Duplex> {
  /** socket is the connection's socket, paused, yours from now on. */
  socket: S
  /** protocol is the subprotocol chosen, or null for none (RFC 6455 §4.2.2). */
  protocol: string | null
  /** extensions are the extensions accepted, in the client's order (RFC 6455 §9.1). */
  extensions: Extension[]
  /** head is the bytes the client sent behind its request (its first frames): a view, yours, to process first. */
  head: Uint8Array
}

/**
 * acceptSocket performs the server's opening handshake on a raw socket (a `net.Socket` from a
 * `net.Server`, a `tls.TLSSocket`, any Duplex): it reads until `upgrader` has a complete
 * request, a broken limit, the timeout or the abort signal, writes the response, and resolves
 * with the connection. A refused request is answered with its HTTP error and the socket closed
 * ({@link endRefused}); the promise rejects with the {@link HandshakeRejection}.
 */
export function acceptSocket<S extends Duplex>(socket: S, upgrader: Upgrader, options: HandshakeOptions = {}): Promise<Accepted<S>> {
  return new Promise((resolve, reject) => {
    // The response is written in the data event that completes the request: one promise per
    // handshake, this one, and no microtask before the 101 goes out.
    collectHead(socket, (bytes) => {
      const result = upgrader.upgrade(bytes, 0)
      return result.kind === 'incomplete' ? null : result
    }, options, (result, bytes) => {
      if (result.kind === 'rejected') {
        endRefused(socket, result.response)
        reject(result.error)
        return
      }
      socket.write(result.response)
      resolve({ socket, protocol: result.protocol, extensions: result.extensions, head: bytes.subarray(result.end) })
    }, reject)
  })
}

/**
 * acceptHttpUpgrade completes the handshake for `node:http`'s `upgrade` event
 * (`server.on('upgrade', (req, socket, head) => …)`). Node has already parsed the request, so
 * its head is rebuilt from `req.rawHeaders` (a copy; the raw bytes are gone) and judged by
 * `upgrader` with every rule and callback of {@link Upgrader.upgrade}. `head` is Node's: the
 * bytes the client sent after its request, returned as the connection's `head`. A refused
 * request is answered, the socket closed ({@link endRefused}), and the
 * {@link HandshakeRejection} thrown; any other error from the upgrader's callbacks destroys
 * the socket and is rethrown. The socket is handed over as {@link acceptSocket} does.
 */
export function acceptHttpUpgrade<S extends Duplex>(req: IncomingMessage, socket: S, head: Uint8Array, upgrader: Upgrader): Accepted<S> {
  let text = `${req.method} ${req.url} HTTP/${req.httpVersion}\r\n`
  const raw = req.rawHeaders
  for (let i = 0; i < raw.length; i += 2) text += `${raw[i]}: ${raw[i + 1]}\r\n`
  socket.on('error', destroyOnError)
  socket.pause()
  let result: Exclude<UpgradeResult, { kind: 'incomplete' }>
  try {
    // A rebuilt head ends in its empty line: the upgrader always decides.
    result = upgrader.upgrade(Buffer.from(`${text}\r\n`, 'latin1'), 0) as Exclude<UpgradeResult, { kind: 'incomplete' }>
  } catch (error) {
    socket.destroy()
    throw error
  }
  if (result.kind === 'rejected') {
    endRefused(socket, result.response)
    throw result.error
  }
  socket.write(result.response)
  return { socket, protocol: result.protocol, extensions: result.extensions, head }
}
