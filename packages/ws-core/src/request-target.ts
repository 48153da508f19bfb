/**
 * The request-target of a WebSocket handshake's request line (RFC 9112 §3.2, RFC 6455 §4.1),
 * read in place. A server MUST accept the absolute-form (`GET http://host:port/ws HTTP/1.1`,
 * RFC 9112 §3.2.2) as well as the origin-form (`GET /ws HTTP/1.1`), so the path a request asks
 * for is not always the target's bytes as they are.
 */
import { asciiLower, equalsIgnoreCase, latin1 } from './http-head.js'

/**
 * RequestTarget locates the parts of a request-target in the caller's bytes: offsets, neither
 * views nor copies, so it holds no bytes and may be reused from request to request. It is
 * filled by {@link readRequestTarget}; nothing in it is decoded (RFC 3986 §2.1: `%2F` is not
 * `/`).
 */
export interface RequestTarget {
  /**
   * absolute is true for the absolute-form, `http://host:port/ws?x=1` (RFC 9112 §3.2.2; the
   * schemes http, https, ws and wss), false for the origin-form, `/ws?x=1` (§3.2.1).
   */
  absolute: boolean
  /**
   * authorityStart is where the absolute-form's authority, `host[:port]` (RFC 3986 §3.2),
   * starts; in the origin-form, which has none, it equals `authorityEnd`.
   */
  authorityStart: number
  /** authorityEnd is the offset just past the authority. */
  authorityEnd: number
  /**
   * pathStart is where the path starts. The path is never empty in the origin-form; in the
   * absolute-form an empty path (`http://host:8080`, `http://host?x`) stands for `/` (RFC 9110
   * §4.2.3, RFC 9112 §3.2.1).
   */
  pathStart: number
  /** pathEnd is the offset just past the path: the `?` or the target's end. */
  pathEnd: number
  /** queryStart is where the query starts, just past the first `?` (RFC 3986 §3.4), or -1 when there is no `?`. */
  queryStart: number
  /** queryEnd is the offset just past the query (the target's end), or -1 when there is no `?`. */
  queryEnd: number
}

/** newRequestTarget returns a {@link RequestTarget} to pass to {@link readRequestTarget}, reusable (RFC 9112 §3.2). */
export function newRequestTarget(): RequestTarget {
  return { absolute: false, authorityStart: 0, authorityEnd: 0, pathStart: 0, pathEnd: 0, queryStart: -1, queryEnd: -1 }
}

const schemes = ['http', 'https', 'ws', 'wss'].map(asciiLower)

/**
 * readRequestTarget reads the request-target `bytes[start..end)` (RFC 9112 §3.2) into `out`
 * and returns true, or returns false, leaving `out` unspecified, when it is not the target of a
 * WebSocket request; answer that with 400 (RFC 9112 §3.2, RFC 6455 §4.2.1). It reads the bytes
 * in place, never writes them and keeps nothing: `out` holds offsets into them.
 *
 * Accepted: the origin-form (`/ws?x=1`, §3.2.1) and the absolute-form (§3.2.2) with the scheme
 * http, https, ws or wss in any case (RFC 3986 §3.1), `//`, an authority and an optional path
 * and query (`HTTP://[::1]:8080/ws?x=1`, `http://h?x`). Refused: an empty target, the
 * authority-form of CONNECT (`host:port`, §3.2.3), the asterisk-form of OPTIONS (`*`, §3.2.4),
 * other schemes, a fragment (`#`: RFC 6455 §3), whitespace, control or non-ASCII bytes, and an
 * authority that breaks RFC 3986 §3.2's grammar, has an empty host (RFC 9110 §4.2.1) or carries
 * userinfo (`user@host`, which RFC 9110 §4.2.4 asks recipients to treat as an error). The path
 * and query are not decoded, and not judged beyond those bytes: browsers send `|`, `{` or `^`
 * in them as they are.
 */
export function readRequestTarget(bytes: Uint8Array, start: number, end: number, out: RequestTarget): boolean {
  if (start >= end) return false
  for (let i = start; i < end; i++) {
    const c = bytes[i]
    if (c <= 0x20 || c >= 0x7f || c === 0x23) return false
  }
  let pathStart = start
  if (bytes[start] === 0x2f) {
    out.absolute = false
    out.authorityStart = start
    out.authorityEnd = start
  } else {
    const colon = bytes.indexOf(0x3a, start)
    if (colon === -1 || colon >= end || !schemes.some((scheme) => equalsIgnoreCase(bytes, start, colon, scheme))) return false
    if (end - colon < 3 || bytes[colon + 1] !== 0x2f || bytes[colon + 2] !== 0x2f) return false
    const authorityStart = colon + 3
    let authorityEnd = authorityStart
    while (authorityEnd < end && bytes[authorityEnd] !== 0x2f && bytes[authorityEnd] !== 0x3f) authorityEnd++
    if (!isAuthority(bytes, authorityStart, authorityEnd)) return false
    out.absolute = true
    out.authorityStart = authorityStart
    out.authorityEnd = authorityEnd
    pathStart = authorityEnd
  }
  const question = bytes.indexOf(0x3f, pathStart)
  const pathEnd = question === -1 || question >= end ? end : question
  out.pathStart = pathStart
  out.pathEnd = pathEnd
  out.queryStart = pathEnd === end ? -1 : pathEnd + 1
  out.queryEnd = pathEnd === end ? -1 : end
  return true
}

/**
 * requestPath returns the path of the request-target `target[start..end)` as a string (a copy,
 * not decoded: RFC 3986 §2.1), the same for every form a WebSocket request may use (RFC 9112
 * §3.2.1, §3.2.2): `/ws` for `/ws?x=1`, `http://host:8080/ws` and `WSS://[::1]/ws`, and `/`
 * for an absolute-form with no path (`http://host`, `http://host?x`; RFC 9110 §4.2.3). The
 * query is left out (see {@link readRequestTarget} for it). It returns null for what
 * {@link readRequestTarget} refuses (`*`, `host:port`, a fragment...): answer it with 400.
 * `target` is only read, as in `Upgrader`'s `onRequest(uri)`: `requestPath(uri)`.
 */
export function requestPath(target: Uint8Array, start = 0, end = target.length): string | null {
  const parts = scratch
  if (!readRequestTarget(target, start, end, parts)) return null
  return parts.pathStart === parts.pathEnd ? '/' : latin1(target, parts.pathStart, parts.pathEnd)
}

/** scratch is requestPath's own RequestTarget: it is filled and read within one synchronous call. */
const scratch = newRequestTarget()

/**
 * isAuthority checks `bytes[start..end)` against RFC 3986 §3.2 without userinfo (RFC 9110
 * §4.2.4): a host that is an IPv6 literal in brackets or a non-empty reg-name (IPv4 addresses
 * and DNS names included), then an optional `:` and port digits.
 */
function isAuthority(bytes: Uint8Array, start: number, end: number): boolean {
  let i = start
  if (bytes[i] === 0x5b) {
    // IP-literal (§3.2.2): IPv6 digits, colons and dots (an embedded IPv4); no IPvFuture.
    const close = bytes.indexOf(0x5d, i)
    if (close === -1 || close >= end || close - i < 3) return false
    for (let j = i + 1; j < close; j++) if (!isHex(bytes[j]) && bytes[j] !== 0x3a && bytes[j] !== 0x2e) return false
    i = close + 1
  } else {
    // reg-name (§3.2.2): unreserved, pct-encoded and sub-delims; an http(s) host is not empty.
    while (i < end && bytes[i] !== 0x3a) {
      if (bytes[i] === 0x25) {
        if (i + 2 >= end || !isHex(bytes[i + 1]) || !isHex(bytes[i + 2])) return false
        i += 3
      } else if (isRegNameChar(bytes[i])) {
        i++
      } else {
        return false
      }
    }
    if (i === start) return false
  }
  if (i === end) return true
  if (bytes[i] !== 0x3a) return false
  // port = *DIGIT (§3.2.3): it may be empty.
  for (i++; i < end; i++) if (bytes[i] < 0x30 || bytes[i] > 0x39) return false
  return true
}

/** isHex reports whether `c` is an ASCII hex digit (RFC 3986 §2.1 HEXDIG). */
function isHex(c: number): boolean {
  return (c >= 0x30 && c <= 0x39) || ((c | 0x20) >= 0x61 && (c | 0x20) <= 0x66)
}

/** isRegNameChar reports whether `c` is unreserved or a sub-delim (RFC 3986 §2.2, §2.3). */
function isRegNameChar(c: number): boolean {
  return (c >= 0x61 && c <= 0x7a) || (c >= 0x41 && c <= 0x5a) || (c >= 0x30 && c <= 0x39) ||
    c === 0x2d || c === 0x2e || c === 0x5f || c === 0x7e || // - . _ ~
    c === 0x21 || c === 0x24 || (c >= 0x26 && c <= 0x2c) || c === 0x3b || c === 0x3d // ! $ & ' ( ) * + , ; =
}
