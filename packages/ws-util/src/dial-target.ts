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

