import { BlockList, connect as netConnect, isIP, type Socket } from 'node:net'
import type { ConnectionOptions, TLSSocket } from 'node:tls'
import { domainToASCII } from 'node:url'
import { defaultHeadLimits } from '@ws-toolkit/ws-core'
import { ProxyError } from './errors.js'
import { type HandshakeOptions, readHead } from './read-head.js'
import { connectTls } from './tls-connect.js'

/** ProxyOptions is {@link connectThroughProxy}'s: the bounds of the wait for the proxy's answer, and TLS to an `https://` proxy. */
export interface ProxyOptions extends HandshakeOptions {
  /**
   * For an `https://` proxy: options for `tls.connect` to the proxy (ca, cert, key,
   * rejectUnauthorized, servername…). Without a `servername`, SNI carries the proxy URL's host
   * name (none for an IP address), and the certificate is checked against that host (RFC 9110
   * §4.3.4). Not used for an `http://` proxy.
   */
  tls?: ConnectionOptions | undefined
}

/**
 * connectThroughProxy opens a tunnel to `hostname:port` through the HTTP proxy at `proxy` (an
 * `http://[user:pass@]host[:port]` URL, port 80 by default, or `https://`, TLS to the proxy,
 * port 443 by default): a connection to the proxy, `CONNECT hostname:port HTTP/1.1` with the
 * same `Host` (RFC 9110 §9.3.6; an IPv6 address in brackets) and, when the URL has a user name
 * or password, `Proxy-Authorization: Basic` with them percent-decoded, in UTF-8 (RFC 7617 §2,
 * RFC 9110 §11.7.2). It resolves with the socket (a TLSSocket for an `https://` proxy) once the
 * proxy answers 2xx: from then on the bytes on it are the target's. The socket is paused with
 * `destroyOnError` as its only listener of ours, as readHead leaves it.
 *
 * The answer is read with {@link readHead}, bounded like a handshake head (16 KiB, 100 header
 * fields, interim 1xx responses skipped and counted in the 16 KiB, RFC 9110 §15.2), within
 * `options.timeoutMs` and `options.signal` (TLS to the proxy included). It rejects with a
 * {@link ProxyError} for a status other than 2xx (407, and 401, with a code of their own), an
 * answer that is not an HTTP/1.x response, or bytes behind the 2xx before we sent any (the
 * target speaks only after us: WebSocket and TLS both wait for the client), with a
 * HandshakeTimeoutError, the signal's reason or the socket's error (a TLS error for a proxy
 * certificate that does not check out); the socket is destroyed in each case. A proxy URL of
 * another scheme, with a path, query or fragment, or with credentials RFC 7617 cannot carry,
 * and a host that could not be sent as is, are a TypeError.
 */
export async function connectThroughProxy(proxy: string | URL, hostname: string, port: number, options: ProxyOptions = {}): Promise<Socket | TLSSocket> {
  const endpoint = proxyEndpoint(proxy)
  const request = connectRequest(hostname, port, endpoint.authorization)
  const { hostname: proxyHost, port: proxyPort } = endpoint
  const socket = endpoint.secure
    ? connectTls(proxyHost, proxyPort, options.tls)
    : netConnect({ host: proxyHost, port: proxyPort })
  socket.setNoDelay(true)
  socket.write(request)
  await readHead(socket, parseConnectResponse, options)
  return socket
}

/** ProxyEndpoint is where a proxy URL points, over TLS or not, and the credentials it carries. */
interface ProxyEndpoint {
  secure: boolean
  hostname: string
  port: number
  authorization: string | null
}

/** proxyEndpoint reads an `http(s)://[user:pass@]host[:port]` proxy URL; anything else is a TypeError. */
function proxyEndpoint(proxy: string | URL): ProxyEndpoint {
  const url = new URL(proxy)
  const secure = url.protocol === 'https:'
  if (!secure && url.protocol !== 'http:') {
    throw new TypeError(`unsupported proxy URL scheme ${url.protocol} (dial speaks HTTP CONNECT to an http:// or https:// proxy)`)
  }
  if (url.pathname !== '/' || url.search !== '' || url.hash !== '') {
    // Named without its credentials, which a message must not carry into logs.
    throw new TypeError(`a proxy URL has no path, query or fragment: ${url.protocol}//${url.host}${url.pathname}`)
  }
  let authorization: string | null = null
  if (url.username !== '' || url.password !== '') {
    const user = percentDecode(url.username)
    const password = percentDecode(url.password)
    // RFC 7617 §2: the user-id cannot contain a colon; neither part may contain controls.
    if (user.includes(':') || /[\x00-\x1f\x7f]/.test(user + password)) {
      throw new TypeError('proxy credentials with a colon in the user name or a control character cannot be sent (RFC 7617 §2)')
    }
    authorization = `Basic ${Buffer.from(`${user}:${password}`, 'utf8').toString('base64')}`
  }
  return { secure, hostname: url.hostname.replace(/^\[(.*)\]$/, '$1'), port: Number(url.port || (secure ? 443 : 80)), authorization }
}

function percentDecode(text: string): string {
  try {
    return decodeURIComponent(text)
  } catch {
    throw new TypeError('proxy credentials are not valid percent-encoded UTF-8')
  }
}

/** connectRequest is the CONNECT request head (RFC 9110 §9.3.6, RFC 9112 §3.2.3: authority-form). */
function connectRequest(hostname: string, port: number, authorization: string | null): Uint8Array {
  const ipv6 = isIP(hostname) === 6
  // RFC 3986 §3.2.2: a reg-name or IPv4 address; an IPv6 address goes in brackets.
  if (!ipv6 && !/^[A-Za-z0-9\-._~!$&'()*+,;=%]+$/.test(hostname)) throw new TypeError(`invalid host ${JSON.stringify(hostname)}`)
  if (!Number.isInteger(port) || port < 1 || port > 65535) throw new TypeError(`invalid port ${port}`)
  const authority = `${ipv6 ? `[${hostname}]` : hostname}:${port}`
  let text = `CONNECT ${authority} HTTP/1.1\r\nHost: ${authority}\r\n`
  if (authorization !== null) text += `Proxy-Authorization: ${authorization}\r\n`
  return Buffer.from(`${text}\r\n`, 'latin1')
}

const statusLine = /^HTTP\/1\.[01] ([1-5]\d\d)(?: [^\x00-\x08\x0a-\x1f\x7f]*)?$/
const fieldLine = /^([!#$%&'*+\-.^_`|~0-9A-Za-z]+):[\t ]*([^\x00-\x08\x0a-\x1f\x7f]*?)[\t ]*$/

/**
 * parseConnectResponse reads a proxy's answer to CONNECT for {@link readHead}: null while
 * incomplete; true once a 2xx head has arrived with nothing behind it (RFC 9110 §9.3.6: its
 * Content-Length and Transfer-Encoding mean nothing, §8.6); a ProxyError otherwise. Interim
 * 1xx responses other than 101 are skipped (RFC 9110 §15.2). Lines end in CRLF; the heads
 * together are bounded by ws-core's defaultHeadLimits' size and each by its field count.
 */
function parseConnectResponse(bytes: Uint8Array): true | null {
  const text = Buffer.from(bytes.buffer, bytes.byteOffset, Math.min(bytes.length, defaultHeadLimits.headBytes)).toString('latin1')
  return parseResponseAt(bytes.length, text, 0)
}

/** parseResponseAt reads the response head at `text[offset]`, then the next one behind an interim 1xx. */
function parseResponseAt(length: number, text: string, offset: number): true | null {
  const end = text.indexOf('\r\n\r\n', offset)
  const head = end === -1 ? text.slice(offset) : text.slice(offset, end + 4)
  if (!'HTTP/1.'.startsWith(head.slice(0, 7)) || /(?:^|[^\r])\n|\r[^\n]/.test(head)) {
    throw new ProxyError('WS_PROXY_MALFORMED', `proxy answered with something other than an HTTP/1.x head: ${JSON.stringify(head.slice(0, 64))}`)
  }
  if (end === -1) {
    const limit = defaultHeadLimits.headBytes
    if (length >= limit) throw new ProxyError('WS_PROXY_MALFORMED', `proxy answered with a head over ${limit} bytes`)
    return null
  }
  const lines = text.slice(offset, end).split('\r\n')
  const status = statusLine.exec(lines[0])
  if (status === null) throw new ProxyError('WS_PROXY_MALFORMED', `proxy answered with a malformed status line ${JSON.stringify(lines[0].slice(0, 64))}`)
  if (lines.length - 1 > defaultHeadLimits.headerCount) throw new ProxyError('WS_PROXY_MALFORMED', 'proxy answered with too many header fields')
  const code = Number(status[1])
  const headers: [string, string][] = []
  for (const line of lines.slice(1)) {
    const field = fieldLine.exec(line)
    if (field === null) throw new ProxyError('WS_PROXY_MALFORMED', 'proxy answered with a malformed header line', code)
    headers.push([field[1].toLowerCase(), field[2]])
  }
  // Interim responses (RFC 9110 §15.2), bounded with the rest by the 16 KiB of text.
  if (code < 200 && code !== 101) return parseResponseAt(length, text, end + 4)
  // A CONNECT's answer is always the proxy's own: its 401 (tinyproxy 1.11's for wrong credentials) means what 407 does.
  if (code === 407 || code === 401) throw new ProxyError('WS_PROXY_AUTH_REQUIRED', `proxy answered ${lines[0].slice(9, 80)}`, code, headers)
  if (code >= 300 || code === 101) throw new ProxyError('WS_PROXY_REFUSED', `proxy answered ${lines[0].slice(9, 80)}`, code, headers)
  if (end + 4 < length) {
    throw new ProxyError('WS_PROXY_MALFORMED', `proxy sent ${length - end - 4} bytes behind its ${code} before the tunnel was used`, code, headers)
  }
  return true
}

/**
 * proxyForUrl is the proxy the environment names for a `ws://` or `wss://` URL, by the
 * conventions curl follows (curl 8's `detect_proxy` and `Curl_check_noproxy`), or null for a
 * direct connection. dial reads no environment itself: write `dial(url, { proxy:
 * proxyForUrl(url) })`.
 *
 * - `wss://`: `wss_proxy`, `WSS_PROXY`, `https_proxy`, `HTTPS_PROXY`, the first set (not empty).
 * - `ws://`: `ws_proxy`, `WS_PROXY`, `http_proxy`; never `HTTP_PROXY`, as curl: a CGI program
 *   gets an attacker's `Proxy:` request header there (httpoxy, https://httpoxy.org).
 * - Not read: `all_proxy`/`ALL_PROXY` (it often names a SOCKS proxy, which dial does not speak).
 * - A value without a scheme (`proxy.example:3128`) is given `http://`, as curl does.
 * - `no_proxy`, else `NO_PROXY`: entries separated by commas and/or blanks, case-insensitive.
 *   `*` matches every host (curl: only as the whole value). A name matches itself and its
 *   subdomains: `example.com` and `.example.com` both match `example.com` and
 *   `www.example.com`, not `notexample.com` (leading and trailing dots ignored;
 *   internationalized names compared in their ASCII form). An IP literal (IPv6 with or without brackets) matches that address only, or a
 *   range in CIDR notation (`10.0.0.0/8`, `fd00::/8`); names never match addresses and
 *   nothing is resolved. Beyond curl, as Go's net/http: an entry with a port
 *   (`example.com:8080`, `[::1]:8080`) matches only that port (the URL's, else 80 for `ws://`
 *   and 443 for `wss://`, RFC 6455 §3). Entries that parse as none of these match nothing.
 *
 * Other schemes are a TypeError.
 */
export function proxyForUrl(url: string | URL, env: Readonly<Record<string, string | undefined>> = process.env): string | null {
  const target = new URL(url)
  const secure = target.protocol === 'wss:'
  if (!secure && target.protocol !== 'ws:') throw new TypeError(`not a WebSocket URL: ${target.protocol}`)
  const names = secure ? ['wss_proxy', 'WSS_PROXY', 'https_proxy', 'HTTPS_PROXY'] : ['ws_proxy', 'WS_PROXY', 'http_proxy']
  const proxy = firstSet(env, names)
  if (proxy === null) return null
  const noProxy = firstSet(env, ['no_proxy', 'NO_PROXY'])
  if (noProxy !== null && matchesNoProxy(target, Number(target.port || (secure ? 443 : 80)), noProxy)) return null
  return /^[A-Za-z][A-Za-z0-9+.-]*:\/\//.test(proxy) ? proxy : `http://${proxy}`
}

function firstSet(env: Readonly<Record<string, string | undefined>>, names: string[]): string | null {
  for (const name of names) {
    const value = env[name]?.trim()
    if (value) return value
  }
  return null
}

/** matchesNoProxy: whether a `no_proxy` list names the URL's host (see {@link proxyForUrl}). */
function matchesNoProxy(target: URL, port: number, list: string): boolean {
  const host = target.hostname.replace(/^\[(.*)\]$/, '$1')
  const family = isIP(host)
  const name = host.replace(/\.$/, '')
  for (let entry of list.toLowerCase().split(/[\s,]+/)) {
    if (entry === '') continue
    if (entry === '*') return true
    const withPort = /^\[([^\]]*)\](?::(\d+))?$/.exec(entry) ?? /^([^:]*):(\d+)$/.exec(entry)
    if (withPort !== null) {
      if (withPort[2] !== undefined && Number(withPort[2]) !== port) continue
      entry = withPort[1]
    }
    if (family !== 0) {
      if (matchesAddress(host, family, entry)) return true
      continue
    }
    entry = entry.replace(/^\./, '').replace(/\.$/, '')
    entry = domainToASCII(entry) || entry
    if (entry !== '' && (name === entry || name.endsWith(`.${entry}`))) return true
  }
  return false
}

/** matchesAddress: whether an IP entry, or a CIDR range, holds `address` (RFC 4632 §3.1, RFC 4291 §2.3). */
function matchesAddress(address: string, family: number, entry: string): boolean {
  const slash = entry.indexOf('/')
  const network = slash === -1 ? entry : entry.slice(0, slash)
  const bits = slash === -1 ? null : entry.slice(slash + 1)
  if (isIP(network) !== family || (bits !== null && !/^\d{1,3}$/.test(bits))) return false
  const type = family === 4 ? 'ipv4' : 'ipv6'
  const range = new BlockList()
  if (bits === null) range.addAddress(network, type)
  else if (Number(bits) <= (family === 4 ? 32 : 128)) range.addSubnet(network, Number(bits), type)
  else return false
  return range.check(address, type)
}
