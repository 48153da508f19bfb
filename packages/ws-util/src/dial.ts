import { connect as netConnect, type Socket } from 'node:net'
import { connect as tlsConnect, type ConnectionOptions, type TLSSocket } from 'node:tls'
import { buildClientRequest, type Extension, type HeaderList, parseServerResponse } from '@ws-toolkit/ws-core'
import { type HandshakeOptions, readHead } from './read-head.js'

/** DialOptions configures {@link dial}. */
export interface DialOptions extends HandshakeOptions {
  /** Subprotocols to offer, in order of preference (RFC 6455 §4.1). */
  protocols?: readonly string[]
  /** Extensions to offer, in order of preference (RFC 6455 §9). */
  extensions?: readonly Extension[]
  /** Extra request header fields: Origin, Authorization, Cookie… */
  headers?: HeaderList
  /** For wss://: options for `tls.connect` (ca, cert, key, rejectUnauthorized…); SNI is set from the URL's host. */
  tls?: ConnectionOptions
}

/**
 * Dialed is an open client connection (RFC 6455 §4.1): the socket (paused: attach your handler,
 * then resume it), the subprotocol and extensions the server chose, the response's header fields
 * (names lower-cased), and `head`, bytes the server sent right behind its response (its first
 * frames), a view that is yours to process first.
 */
export interface Dialed {
  socket: Socket | TLSSocket
  protocol: string | null
  extensions: Extension[]
  headers: [string, string][]
  head: Uint8Array
}

/**
 * dial opens a WebSocket connection to a `ws://` or `wss://` URL: TCP or TLS (with SNI and the
 * given CA), the opening handshake with a fresh key, and a strict check of the answer. It
 * rejects with ws-core's HandshakeError (status and headers kept), a HandshakeTimeoutError, the
 * abort signal's reason, or the socket's error; the socket is destroyed in every such case.
 */
export async function dial(url: string | URL, options: DialOptions = {}): Promise<Dialed> {
  const target = new URL(url)
  const secure = target.protocol === 'wss:'
  if (!secure && target.protocol !== 'ws:') throw new TypeError(`not a WebSocket URL: ${target.href}`)
  if (target.hash !== '') throw new TypeError('a WebSocket URL has no fragment (RFC 6455 §3)')
  const port = Number(target.port || (secure ? 443 : 80))
  // URL keeps IPv6 literals in brackets; sockets want them bare.
  const hostname = target.hostname.replace(/^\[(.*)\]$/, '$1')
  const handshake = buildClientRequest({
    host: target.host, path: `${target.pathname}${target.search}`,
    protocols: options.protocols, extensions: options.extensions, headers: options.headers,
  })
  const socket = secure
    ? tlsConnect({ ...options.tls, host: hostname, port, servername: isIp(hostname) ? undefined : hostname })
    : netConnect({ host: hostname, port })
  socket.setNoDelay(true)
  socket.write(handshake.request)
  const { value: response, bytes } = await readHead(socket, (bytes) => parseServerResponse(handshake, bytes), options)
  return { socket, protocol: response.protocol, extensions: response.extensions, headers: response.headers, head: bytes.subarray(response.end) }
}

function isIp(host: string): boolean {
  return /^[\d.]+$/.test(host) || host.includes(':')
}

