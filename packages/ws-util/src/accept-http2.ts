import { constants, type OutgoingHttpHeaders, type ServerHttp2Session, type ServerHttp2Stream } from 'node:http2'
import type { Duplex } from 'node:stream'
import type { HeaderList, Upgrader } from '@ws-toolkit/ws-core'
import { type Accepted, keptNames, readParsedRequest, type RequestOptions } from './accept.js'
import { SocketClosedError } from './errors.js'
import { destroyOnError, refusedLingerMs } from './read-head.js'

/**
 * acceptHttp2Stream completes the opening handshake of a WebSocket over HTTP/2 (RFC 8441) on a
 * stream of a `node:http2` server created with `settings: { enableConnectProtocol: true }`
 * (SETTINGS_ENABLE_CONNECT_PROTOCOL, RFC 8441 §3), from its `'stream'` event
 * (`server.on('stream', (stream, headers, flags, rawHeaders) => …)`): the request's fields
 * `rawHeaders` are judged by `upgrader` ({@link Upgrader.upgradeExtendedConnect}: `:method`
 * CONNECT, `:protocol` websocket, then every rule and callback of the HTTP/1.1 handshake), and
 * the stream is answered with 200 and the chosen subprotocol and extensions (RFC 8441 §5).
 *
 * From then on the stream is the connection, as a socket is after a 101: a Duplex of the
 * frames both ways (ws-util's readers and writers run on it unchanged), paused, with two
 * listeners of ours: {@link destroyOnError} (an RST_STREAM from the peer is an error there, and
 * must not crash the process) and the `'end'` one below. `head` is empty: HTTP/2 delivers the peer's first frames as
 * stream data. Ending the stream (`end()`) sends END_STREAM, the orderly close (RFC 8441 §5);
 * destroying it sends RST_STREAM. The peer's END_STREAM is answered with ours once what was
 * written has gone, as a TCP socket without `allowHalfOpen` answers a FIN, so that a close
 * handshake closes the stream on both sides. The session's own errors are the server's to
 * handle (`'sessionError'`). Bound what one peer may open: a session carries as many
 * WebSockets as the server's `settings.maxConcurrentStreams` allows (Node's default is
 * unbounded), and HTTP/2 flow control bounds each stream's unread bytes only while its reader
 * pauses on a full writer.
 *
 * A stream already closed or reset is a {@link SocketClosedError}, with nothing answered.
 * A refused request is answered with its status, fields and message (`text/plain`), the stream
 * ended, and, if the peer has not closed its side within `refusedLingerMs`, reset with NO_ERROR
 * so that it stops sending (RFC 9113 §8.1; a timer cleared when the stream closes), and the
 * `HandshakeRejection` thrown; any other error from the upgrader's callbacks resets the
 * stream (INTERNAL_ERROR) and is rethrown. With {@link RequestOptions} the connection carries
 * its request ({@link Accepted.request}): path and query from `:path`, headers from
 * `rawHeaders`, the address the session's socket's; a name in `keepHeaders` that is not a
 * token throws a TypeError, the stream untouched.
 */
export function acceptHttp2Stream(stream: ServerHttp2Stream, rawHeaders: readonly string[], upgrader: Upgrader, options: RequestOptions = {}): Accepted<ServerHttp2Stream> {
  const kept = keptNames(options)
  // Reset or closed before its turn came (the caller awaited something first): nothing to answer.
  if (stream.destroyed || stream.closed) throw new SocketClosedError(0)
  stream.on('error', destroyOnError)
  stream.pause()
  let result
  try {
    result = upgrader.upgradeExtendedConnect(rawHeaders)
  } catch (error) {
    // Destroyed as well: a closed stream with unread data would stay in its session until read.
    stream.close(constants.NGHTTP2_INTERNAL_ERROR)
    stream.destroy()
    throw error
  }
  if (result.kind === 'rejected') {
    stream.respond(responseHeaders(result.status, result.headers))
    stream.end(result.body)
    stream.resume()
    // A peer that keeps its side open is reset after the linger (never at once: Node 22 drops a
    // response that is queued when the reset is sent, and a short one may still be).
    const timer = setTimeout(resetRefused, refusedLingerMs, stream).unref()
    stream.once('close', () => clearTimeout(timer))
    throw result.error
  }
  stream.respond(responseHeaders(200, result.headers))
  stream.once('end', endWhenEnded)
  const request = kept === null ? null : readParsedRequest((stream.session as ServerHttp2Session).socket as Duplex, pathOf(rawHeaders), rawHeaders, kept) // an open stream has its session
  return { socket: stream, protocol: result.protocol, extensions: result.extensions, head: noBytes, request }
}

/**
 * endWhenEnded is the `'end'` listener of a WebSocket's stream: the peer sent END_STREAM, so the
 * stream is ended on our side too (after what is written), and closes (RFC 8441 §5). A Duplex
 * keeps its writable side open by default (allowHalfOpen), which would leave the stream, and
 * its session, open for ever.
 */
export function endWhenEnded(this: Duplex): void {
  this.end()
}

/** resetRefused ends a refused stream whose peer has not closed its side within {@link refusedLingerMs}: RST_STREAM NO_ERROR (RFC 9113 §8.1). */
function resetRefused(stream: ServerHttp2Stream): void {
  stream.close(constants.NGHTTP2_NO_ERROR)
}

/** responseHeaders is node:http2's form of a response: `:status`, then the fields, a repeated name as an array. */
function responseHeaders(status: number, fields: HeaderList): OutgoingHttpHeaders {
  const headers: OutgoingHttpHeaders = { ':status': status }
  for (const [name, value] of fields) {
    const previous = headers[name]
    headers[name] = previous === undefined ? value : [...(Array.isArray(previous) ? previous : [String(previous)]), value]
  }
  return headers
}

/** pathOf returns the `:path` of an accepted request's fields (the Upgrader made sure there is one). */
function pathOf(rawHeaders: readonly string[]): string {
  let i = 0
  while (rawHeaders[i] !== ':path') i += 2
  return rawHeaders[i + 1]
}

/** The `head` of every stream: HTTP/2 has no bytes behind the request's fields. */
const noBytes = new Uint8Array(0)
