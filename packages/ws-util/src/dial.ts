import { connect as netConnect, type Socket } from 'node:net'
import type { ConnectionOptions, TLSSocket } from 'node:tls'
import { buildClientRequest, type ClientHandshake, type Extension, type HeaderList, parseServerResponse } from '@ws-toolkit/ws-core'
import { HandshakeTimeoutError } from './errors.js'
import { connectThroughProxy } from './proxy.js'
import { defaultHandshakeTimeoutMs, destroyOnError, type HandshakeOptions, readHead } from './read-head.js'
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
}

/**
 * Dialed is an open client connection (RFC 6455 §4.1): the socket, the subprotocol and
 * extensions the server chose, the response's header fields (names lower-cased), and `head`,
 * bytes the server sent right behind its response (its first frames), a view that is yours to
 * process first. The socket is paused with `destroyOnError` as its only listener of ours:
 * attach your handlers (and your own `'error'` listener), then resume it.
 */
export interface Dialed {
  /** socket is the connection's socket, paused, yours from now on. */
  socket: Socket | TLSSocket
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
export async function dial(url: string | URL, options: DialOptions = {}): Promise<Dialed> {
  const target = dialTarget(url)
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
  const timeoutMs = options.timeoutMs ?? defaultHandshakeTimeoutMs
  const outer = options.signal
  const controller = new AbortController()
  const onAbort = () => controller.abort(outer!.reason)
  if (outer?.aborted) onAbort()
  outer?.addEventListener('abort', onAbort, { once: true })
  const timer = timeoutMs > 0 ? setTimeout(() => controller.abort(new HandshakeTimeoutError(timeoutMs)), timeoutMs) : undefined
  const within = { timeoutMs: 0, signal: controller.signal }
  try {
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
  } finally {
    clearTimeout(timer)
    outer?.removeEventListener('abort', onAbort)
  }
}

/**
 * DialTarget is where a WebSocket URL points (RFC 6455 §3): TLS or not, the host and port to
 * connect to (IPv6 without brackets), the Host header value and the request-target.
 */
export interface DialTarget {
  /** secure is true for `wss://`: the connection runs over TLS (RFC 6455 §3). */
  secure: boolean
  /** hostname is the host to connect to, an IPv6 address without brackets. */
  hostname: string
  /** port is the port to connect to: the URL's, else 80 for `ws://` and 443 for `wss://` (RFC 6455 §3). */
  port: number
  /** host is the Host header's value: host, and port when not the default (RFC 6455 §4.1). */
  host: string
  /** path is the request-target: path and query, `/` when empty (RFC 6455 §3). */
  path: string
}

/** dialTarget reads a `ws://` or `wss://` URL (RFC 6455 §3); other schemes and fragments are a TypeError. */
export function dialTarget(url: string | URL): DialTarget {
  const target = new URL(url)
  const secure = target.protocol === 'wss:'
  if (!secure && target.protocol !== 'ws:') throw new TypeError(`not a WebSocket URL: ${target.href}`)
  if (target.hash !== '') throw new TypeError('a WebSocket URL has no fragment (RFC 6455 §3)')
  return {
    secure,
    // URL keeps IPv6 literals in brackets; sockets want them bare.
    hostname: target.hostname.replace(/^\[(.*)\]$/, '$1'),
    port: Number(target.port || (secure ? 443 : 80)),
    host: target.host,
    path: `${target.pathname}${target.search}`,
  }
}

