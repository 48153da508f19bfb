import { type ClientHttp2Session, type ClientHttp2Stream, connect, constants, type IncomingHttpHeaders, type OutgoingHttpHeaders } from 'node:http2'
import { connect as netConnect } from 'node:net'
import type { Duplex } from 'node:stream'
import type { ConnectionOptions, TLSSocket } from 'node:tls'
import { buildExtendedConnect, type Extension, type HeaderList, parseExtendedConnectResponse } from '@ws-toolkit/ws-core'
import { endWhenEnded } from './accept-http2.js'
import type { Dialed } from './dial.js'
import { dialTarget } from './dial-target.js'
import { ExtendedConnectError, SocketClosedError } from './errors.js'
import { destroyOnError, type HandshakeOptions, withinDeadline } from './read-head.js'
import { connectTls } from './tls-connect.js'

/** Http2SessionOptions configures {@link connectHttp2}: TLS for wss://, and the bounds of the wait for the server's SETTINGS. */
export interface Http2SessionOptions extends HandshakeOptions {
  /**
   * For wss://: options for `tls.connect` (ca, cert, key, rejectUnauthorized, servername…), as
   * `dial`'s `tls`; ALPN offers `h2` and `http/1.1` (so that a server of HTTP/1.1 only answers
   * rather than failing the TLS handshake) unless `ALPNProtocols` says otherwise.
   */
  tls?: ConnectionOptions | undefined
}

/** Http2DialOptions configures {@link dialHttp2}: what to offer, extra fields, and the bounds of the wait for the answer. */
export interface Http2DialOptions extends HandshakeOptions {
  /** Subprotocols to offer, in order of preference (RFC 6455 §4.1). */
  protocols?: readonly string[] | undefined
  /** Extensions to offer, in order of preference (RFC 6455 §9). */
  extensions?: readonly Extension[] | undefined
  /** Extra request fields (Origin, Authorization, Cookie…), sent lower-cased; no connection-specific ones (RFC 9113 §8.2.2). */
  headers?: HeaderList | undefined
}

/** The sessions whose first SETTINGS has arrived since this module saw them (connectHttp2's, or dialHttp2's once waited on). */
const settled = new WeakSet<ClientHttp2Session>()

/**
 * connectHttp2 opens an HTTP/2 session to the origin of a `ws://` URL (cleartext h2c with prior
 * knowledge, RFC 9113 §3.3) or a `wss://` one (TLS, ALPN `h2`, RFC 9113 §3.2; SNI and the
 * certificate's check as `dial`'s), for {@link dialHttp2} to open many WebSockets on, each a
 * stream. It resolves once the server's first SETTINGS has arrived (so that dialHttp2 knows at
 * once whether the server allows extended CONNECT, RFC 8441 §3), within `timeoutMs` (default
 * 10 s) and `signal`. It rejects with an {@link ExtendedConnectError} when the server did not
 * choose h2 in the TLS handshake, a HandshakeTimeoutError, the signal's reason, or the
 * connection's error, the session destroyed in each case. The session is yours: close it when
 * done (`session.close()` waits for its streams), and listen for its `'error'`.
 */
export async function connectHttp2(url: string | URL, options: Http2SessionOptions = {}): Promise<ClientHttp2Session> {
  const target = dialTarget(url)
  const authority = `${target.secure ? 'https' : 'http'}://${target.host}`
  return withinDeadline(options, async (signal) => {
    let socket: Duplex | null = null
    let session: ClientHttp2Session | null = null
    try {
      if (target.secure) {
        const tls = connectTls(target.hostname, target.port, { ALPNProtocols: ['h2', 'http/1.1'], ...options.tls })
        socket = tls
        await settle(tls, 'secureConnect', signal)
        if (tls.alpnProtocol !== 'h2') throw new ExtendedConnectError(`the server did not choose h2 in the TLS handshake (ALPN: ${tls.alpnProtocol || 'none'})`)
      } else {
        socket = netConnect({ host: target.hostname, port: target.port })
      }
      const connection = socket as Duplex & { setNoDelay(noDelay: boolean): unknown }
      connection.setNoDelay(true) // as dial's sockets: a frame goes out when written
      session = connect(authority, { createConnection: () => connection })
      // Until the caller listens: an error destroys the session instead of crashing the process.
      session.on('error', ignore)
      try {
        await settle(session, 'remoteSettings', signal)
      } catch (error) {
        if (target.secure || signal.aborted) throw error
        throw new ExtendedConnectError('the server did not answer in HTTP/2 (h2c with prior knowledge, RFC 9113 §3.3)', { cause: error })
      }
      settled.add(session)
      return session
    } catch (error) {
      session?.destroy()
      socket?.destroy()
      throw error
    }
  })
}

/** ignore is the session's `'error'` listener until the caller has its own: the session is destroyed, its streams with it. */
function ignore(): void {}

/**
 * dialHttp2 opens a WebSocket over HTTP/2 (RFC 8441) as a new stream of `session` (from
 * {@link connectHttp2}, or node:http2's `connect`): an extended CONNECT to the URL's path and
 * authority with the offered subprotocols and extensions (ws-core's buildExtendedConnect), and
 * a strict check of the answer (parseExtendedConnectResponse: any 2xx, choices that were
 * offered). It resolves with the stream as the connection's socket, as `dial` does with a
 * socket: paused, `head` empty (frames arrive as stream data), with two listeners of ours:
 * {@link destroyOnError}, and one that answers the server's END_STREAM with ours (as
 * acceptHttp2Stream does). Run any reader on it with `side: 'client'`; ending the stream is the
 * orderly close (END_STREAM), destroying it a reset (RFC 8441 §5). Many WebSockets may share
 * `session`; HTTP/2 flow control bounds each stream's unread bytes while its reader pauses.
 *
 * The server must allow extended CONNECT (SETTINGS_ENABLE_CONNECT_PROTOCOL, RFC 8441 §3): when
 * its first SETTINGS did not, the dial rejects with an {@link ExtendedConnectError} (at once
 * for a session from connectHttp2; a session of your own whose SETTINGS came before this module
 * saw it is waited on until `timeoutMs`). It also rejects with ws-core's HandshakeError (status
 * and fields of a refusal), a HandshakeTimeoutError, the signal's reason, a SocketClosedError
 * for a stream reset before its answer, or the stream's error; the stream is reset (CANCEL) in
 * each case, the session left open.
 */
export async function dialHttp2(session: ClientHttp2Session, url: string | URL, options: Http2DialOptions = {}): Promise<Dialed<ClientHttp2Stream>> {
  const target = dialTarget(url)
  const request = buildExtendedConnect({
    scheme: target.secure ? 'https' : 'http', host: target.host, path: target.path, protocols: options.protocols, extensions: options.extensions, headers: options.headers,
  })
  return withinDeadline(options, async (signal) => {
    if (!allowsExtendedConnect(session)) {
      if (!settled.has(session)) {
        await settle(session, 'remoteSettings', signal)
        settled.add(session)
      }
      if (!allowsExtendedConnect(session)) {
        throw new ExtendedConnectError('the server does not allow extended CONNECT: no SETTINGS_ENABLE_CONNECT_PROTOCOL (RFC 8441 §3)')
      }
    }
    const headers: OutgoingHttpHeaders = {}
    for (const [name, value] of request.fields) {
      const previous = headers[name]
      headers[name] = previous === undefined ? value : `${String(previous)}, ${value}`
    }
    const stream = session.request(headers, { endStream: false })
    stream.on('error', destroyOnError)
    try {
      const [fields, , raw] = await settle<[IncomingHttpHeaders, number, string[]]>(stream, 'response', signal)
      const response = parseExtendedConnectResponse(request, Number(fields[':status']), raw)
      stream.pause()
      stream.once('end', endWhenEnded)
      return { socket: stream, protocol: response.protocol, extensions: response.extensions, headers: response.headers, head: noBytes }
    } catch (error) {
      // RST_STREAM CANCEL, then destroyed: a closed stream with unread data (a refusal's body)
      // would otherwise stay in the session until read, and hold session.close() for ever.
      stream.close(constants.NGHTTP2_CANCEL)
      stream.destroy()
      throw error
    }
  })
}

/** allowsExtendedConnect tells whether the server's SETTINGS so far allow extended CONNECT (RFC 8441 §3). */
export function allowsExtendedConnect(session: ClientHttp2Session): boolean {
  return (session.remoteSettings.enableConnectProtocol as boolean | undefined) === true
}

/**
 * settle resolves with the arguments of `emitter`'s next `event`, or rejects with its
 * `'error'`, with a SocketClosedError if it closes first, or with the signal's reason; every
 * listener it added is removed either way.
 */
function settle<T extends unknown[] = unknown[]>(emitter: ClientHttp2Session | ClientHttp2Stream | TLSSocket, event: string, signal: AbortSignal): Promise<T> {
  return new Promise((resolve, reject) => {
    const done = (finish: () => void) => {
      emitter.off(event, onEvent)
      emitter.off('error', onError)
      emitter.off('close', onClose)
      signal.removeEventListener('abort', onAbort)
      finish()
    }
    const onEvent = (...args: unknown[]) => done(() => resolve(args as T))
    const onError = (error: Error) => done(() => reject(error))
    const onClose = () => done(() => reject(new SocketClosedError(0)))
    const onAbort = () => done(() => reject(signal.reason))
    if (signal.aborted) return reject(signal.reason)
    emitter.on(event, onEvent)
    emitter.on('error', onError)
    emitter.on('close', onClose)
    signal.addEventListener('abort', onAbort, { once: true })
  })
}

/** The `head` of every stream: HTTP/2 has no bytes behind the response's fields. */
const noBytes = new Uint8Array(0)
