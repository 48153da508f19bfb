import type { ClientHttp2Stream } from 'node:http2'
import { connect as netConnect, type Socket } from 'node:net'
import type { Duplex } from 'node:stream'
import type { ConnectionOptions, TLSSocket } from 'node:tls'
import { buildClientRequest, type ClientHandshake, type Extension, type HeaderList, parseServerResponse } from '@ws-toolkit/ws-core'
import { allowsExtendedConnect, connectHttp2, dialHttp2 } from './dial-http2.js'
import { type DialTarget, dialTarget } from './dial-target.js'
import { ExtendedConnectError } from './errors.js'
import { connectThroughProxy } from './proxy.js'
import { destroyOnError, type HandshakeOptions, readHead, withinDeadline } from './read-head.js'
import { connectTls } from './tls-connect.js'

/** DialOptions configures {@link dial}. */
export interface DialOptions extends HandshakeOptions {
  /** Subprotocols to offer, in order of preference (RFC 6455 §4.1). */
  protocols?: readonly string[] | undefined
  /** Extensions to offer, in order of preference (RFC 6455 §9). */
  extensions?: readonly Extension[] | undefined
  /** Extra request header fields: Origin, Authorization, Cookie… */
  headers?: HeaderList | undefined
  /**
   * For wss://: options for `tls.connect` (ca, cert, key, rejectUnauthorized, servername…).
   * Without a `servername`, SNI carries the URL's host name (none for an IP address). The
   * certificate is checked against the URL's host; for an IPv6 address by OpenSSL's iPAddress
   * match, as Node's own check fails there from Node.js 22.23 and 24.17 on (see `connectTls`).
   */
  tls?: ConnectionOptions | undefined
  /**
   * An HTTP proxy to tunnel through with CONNECT (RFC 9110 §9.3.6): an
   * `http://[user:pass@]host[:port]` URL (port 80 by default), or `https://` for TLS to the
   * proxy (port 443 by default; see `proxyTls`); user and password, percent-decoded, go in
   * `Proxy-Authorization: Basic` (RFC 7617). TLS for `wss://` then runs inside the tunnel, end
   * to end with the target (SNI and certificate checks as without a proxy). Null or absent: a
   * direct connection. Nothing is read from the environment: pass `proxyForUrl(url)` for the
   * `https_proxy`/`no_proxy` conventions. See {@link connectThroughProxy}.
   */
  proxy?: string | URL | null | undefined
  /**
   * For an `https://` proxy: options for `tls.connect` to the proxy (ca, cert, key…), apart
   * from `tls`, which is for the target. Without a `servername`, SNI carries the proxy's host
   * name (none for an IP address).
   */
  proxyTls?: ConnectionOptions | undefined
  /**
   * Ask for a WebSocket over HTTP/2 (RFC 8441), on a session of its own (closed when the
   * WebSocket's stream closes; for many WebSockets on one session use `connectHttp2` and
   * `dialHttp2`): h2 by ALPN for wss://, h2c with prior knowledge for ws://, then an extended
   * CONNECT once the server's SETTINGS allow it. `'prefer'`: when the server does not (no h2,
   * no SETTINGS_ENABLE_CONNECT_PROTOCOL), the HTTP/1.1 upgrade on a new connection instead;
   * `'only'`: an `ExtendedConnectError` then. Absent: HTTP/1.1. `timeoutMs` bounds each
   * attempt. Not with `proxy` (a TypeError).
   */
  http2?: 'prefer' | 'only' | undefined
}

/**
 * Dialed is an open client connection (RFC 6455 §4.1): the socket, the subprotocol and
 * extensions the server chose, the response's header fields (names lower-cased), and `head`,
 * bytes the server sent right behind its response (its first frames), a view that is yours to
 * process first. The socket is paused with `destroyOnError` as its only listener of ours:
 * attach your handlers (and your own `'error'` listener), then resume it.
 */
export interface Dialed<S extends Duplex = Socket | TLSSocket> {
  /** socket is the connection's socket (an HTTP/2 stream for dialHttp2), paused, yours from now on. */
  socket: S
  /** protocol is the subprotocol the server chose, or null for none (RFC 6455 §4.1). */
  protocol: string | null
  /** extensions are the extensions the server accepted (RFC 6455 §9.1). */
  extensions: Extension[]
  /** headers are the response's header fields, names lower-cased, copies. */
  headers: [string, string][]
  /** head is the bytes the server sent behind its response (its first frames): a view, yours, to process first. */
  head: Uint8Array
}

/**
 * dial opens a WebSocket connection to a `ws://` or `wss://` URL: TCP or TLS (with SNI and the
 * given CA), the opening handshake with a fresh key, and a strict check of the answer. It
 * rejects with ws-core's HandshakeError (status and headers kept), a HandshakeTimeoutError, the
 * abort signal's reason, or the socket's error; the socket is destroyed in every such case.
 *
 * With `proxy`, the connection is a CONNECT tunnel through that HTTP proxy (RFC 9110 §9.3.6,
 * {@link connectThroughProxy}); it may also reject with a `ProxyError`. `timeoutMs` and
 * `signal` then bound the whole dial: proxy, tunnel, TLS and handshake together.
 */
export async function dial(url: string | URL, options?: DialOptions & { http2?: undefined }): Promise<Dialed>
export async function dial(url: string | URL, options: DialOptions): Promise<Dialed<Socket | TLSSocket | ClientHttp2Stream>>
export async function dial(url: string | URL, options: DialOptions = {}): Promise<Dialed<Socket | TLSSocket | ClientHttp2Stream>> {
  const target = dialTarget(url)
  if (options.http2 !== undefined) {
    if (options.proxy !== null && options.proxy !== undefined) throw new TypeError('dial: http2 through a proxy is not supported')
    return dialOverHttp2(url, options.http2, { ...options, http2: undefined })
  }
  const handshake = buildClientRequest({
    host: target.host, path: target.path, protocols: options.protocols, extensions: options.extensions, headers: options.headers,
  })
  if (options.proxy !== null && options.proxy !== undefined) return dialThroughProxy(target, handshake, options.proxy, options)
  const { hostname, port } = target
  const socket = target.secure
    ? connectTls(hostname, port, options.tls)
    : netConnect({ host: hostname, port })
  socket.setNoDelay(true)
  socket.write(handshake.request)
  const { value: response, bytes } = await readHead(socket, (bytes) => parseServerResponse(handshake, bytes), options)
  return { socket, protocol: response.protocol, extensions: response.extensions, headers: response.headers, head: bytes.subarray(response.end) }
}

/**
 * dialThroughProxy is {@link dial} through a CONNECT tunnel: one timer and one signal for the
 * whole dial (readHead's own timer would restart at each head), the tunnel destroyed with the
 * TLS socket on top of it when a later step fails.
 */
async function dialThroughProxy(target: DialTarget, handshake: ClientHandshake, proxy: string | URL, options: DialOptions): Promise<Dialed> {
  return withinDeadline(options, async (signal) => {
    const within = { timeoutMs: 0, signal }
    const { hostname, port } = target
    const tunnel = await connectThroughProxy(proxy, hostname, port, { ...within, tls: options.proxyTls })
    try {
      let socket = tunnel
      if (target.secure) {
        // host: the name the certificate is checked against, the target's, not the proxy's.
        socket = connectTls(hostname, port, options.tls, tunnel)
      } else {
        // connectThroughProxy's readHead left destroyOnError on it, and the next one adds it again: one is enough.
        tunnel.off('error', destroyOnError)
      }
      socket.write(handshake.request)
      const pending = readHead(socket, (bytes) => parseServerResponse(handshake, bytes), within)
      // readHead left the tunnel paused; the TLS socket reads it on its own.
      if (!target.secure) tunnel.resume()
      const { value: response, bytes } = await pending
      return { socket, protocol: response.protocol, extensions: response.extensions, headers: response.headers, head: bytes.subarray(response.end) }
    } catch (error) {
      tunnel.destroy()
      throw error
    }
  })
}

/**
 * dialOverHttp2 is {@link dial} with `http2`: a session of its own, the WebSocket a stream on
 * it, the session closed when the stream closes; HTTP/1.1 instead (`http1`, the same options
 * without `http2`) when the server does not take WebSockets over HTTP/2 and `mode` is
 * `'prefer'`.
 */
async function dialOverHttp2(url: string | URL, mode: 'prefer' | 'only', http1: DialOptions & { http2: undefined }): Promise<Dialed<Socket | TLSSocket | ClientHttp2Stream>> {
  let session
  try {
    session = await connectHttp2(url, http1)
  } catch (error) {
    if (mode === 'prefer' && error instanceof ExtendedConnectError) return dial(url, http1)
    throw error
  }
  if (!allowsExtendedConnect(session)) {
    session.close()
    if (mode === 'prefer') return dial(url, http1)
    throw new ExtendedConnectError('the server does not allow extended CONNECT: no SETTINGS_ENABLE_CONNECT_PROTOCOL (RFC 8441 §3)')
  }
  try {
    const dialed = await dialHttp2(session, url, http1)
    dialed.socket.once('close', () => session.close())
    return dialed
  } catch (error) {
    session.destroy()
    throw error
  }
}
