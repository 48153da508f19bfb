import { acceptKey } from './accept.js'
import { isBase64Of16Bytes } from './base64.js'
import { HandshakeRejection, type HeaderList } from './errors.js'
import { extendedConnectHead } from './extended-connect.js'
import { type Extension, formatExtension, parseExtensions } from './extension.js'
import {
  defaultHeadLimits, equalsIgnoreCase, type Field, fieldNames as names, hasToken, type HeadLimits, isTokenChar, latin1, readField,
  scanHead, upgradeToken, websocketToken,
} from './http-head.js'
import { checkResponseField, renderResponse } from './http-response.js'
import type { OriginCheck } from './origin.js'

/**
 * UpgraderOptions configures an {@link Upgrader}. Every callback receives views into the
 * request bytes (not copies), valid only while the callback runs: copy what you keep. Any
 * callback may throw a {@link HandshakeRejection} to refuse the request with its status.
 */
export interface UpgraderOptions {
  /** Limits on the request head; see {@link defaultHeadLimits}. */
  limits?: Partial<HeadLimits> | undefined
  /**
   * Called with the request-target of the request line, as sent (RFC 9112 §3.2): a view of the
   * request bytes, valid during the call. It may be the origin-form (`/chat?x=1`) or the
   * absolute-form (`http://host/chat?x=1`), which a server must accept (§3.2.2): compare
   * paths with {@link requestPath} or {@link readRequestTarget}, not byte for byte.
   */
  onRequest?(uri: Uint8Array): void
  /** Called with the Host header's value. */
  onHost?(host: Uint8Array): void
  /** Called for each header the handshake does not consume itself, in order. */
  onHeader?(name: Uint8Array, value: Uint8Array): void
  /** Offered each subprotocol in the client's order until one returns true (RFC 6455 §4.2.2). */
  protocol?(name: Uint8Array): boolean
  /**
   * Offered each extension in the client's order (RFC 6455 §9.1); returns the element to put in
   * the response, or null to decline. Once an offer is accepted, later offers with the same
   * name are alternatives the client no longer needs, and are not offered. The offer is a copy
   * and may be kept.
   */
  negotiate?(offer: Extension): Extension | null
  /**
   * Decides whether the request's Origin may connect, once every header is read; false refuses
   * it with 403. Use {@link sameOrigin} or {@link allowOrigins}. Without it any origin connects:
   * a server that relies on cookies or other ambient credentials should set it (§10.2). The
   * Origin header is passed to `onHeader` too.
   */
  checkOrigin?: OriginCheck | undefined
  /** Called once the request is accepted, before the response is built; returns extra headers. */
  onBeforeUpgrade?(): HeaderList | void
}

/**
 * UpgradeResult is the outcome of {@link Upgrader.upgrade}. `end` is the offset just past the
 * request head: bytes from there on (frames a client sent early) belong to the connection and
 * must not be dropped. `response` is a new buffer to write to the socket as is.
 */
export type UpgradeResult =
  | {
    /** kind `incomplete`: the request head has not all arrived; call again with more bytes. */
    kind: 'incomplete'
  }
  | {
    /** kind `accepted`: the handshake succeeded (RFC 6455 §4.2.2). */
    kind: 'accepted'
    /** response is the 101 response, a new buffer to write as is (RFC 6455 §4.2.2). */
    response: Uint8Array
    /** protocol is the subprotocol chosen (a copy), or null for none (RFC 6455 §4.2.2). */
    protocol: string | null
    /** extensions are the extensions accepted, in the client's order (RFC 6455 §9.1). */
    extensions: Extension[]
    /** end is the offset just past the request head: bytes from there on belong to the connection. */
    end: number
  }
  | {
    /** kind `rejected`: the request was refused (RFC 6455 §4.2.1). */
    kind: 'rejected'
    /** response is the complete refusal, a new buffer to write as is before closing. */
    response: Uint8Array
    /** error is the rejection, with its status and headers. */
    error: HandshakeRejection
  }

/**
 * ExtendedConnectResult is the outcome of {@link Upgrader.upgradeExtendedConnect}, for a
 * WebSocket over an HTTP/2 stream (RFC 8441): the fields to answer with, which the caller sends
 * on the stream (with node:http2, `stream.respond({ ':status': status, ...fields })`). Names are
 * lower-case (RFC 9113 §8.2); the strings are new, the caller's.
 */
export type ExtendedConnectResult =
  | {
    /** kind `accepted`: the stream is a WebSocket once the 200 is sent (RFC 8441 §5). */
    kind: 'accepted'
    /** status is 200: any 2xx opens the stream (RFC 8441 §5), and 101 does not exist in HTTP/2 (RFC 9113 §8.6). */
    status: 200
    /** headers are the response's fields: Sec-WebSocket-Protocol and -Extensions when chosen, then `onBeforeUpgrade`'s, checked. */
    headers: HeaderList
    /** protocol is the subprotocol chosen (a copy), or null for none (RFC 6455 §4.2.2). */
    protocol: string | null
    /** extensions are the extensions accepted, in the client's order (RFC 6455 §9.1). */
    extensions: Extension[]
  }
  | {
    /** kind `rejected`: the request was refused; answer with `status`, `headers` and `body`, then end the stream. */
    kind: 'rejected'
    /** status is the rejection's HTTP status. */
    status: number
    /** headers are the rejection's fields, checked, with `content-type: text/plain; charset=utf-8`. */
    headers: HeaderList
    /** body is the rejection's message, UTF-8: a new buffer. */
    body: Uint8Array
    /** error is the rejection, with its status and headers. */
    error: HandshakeRejection
  }

const scanProblems: Record<string, [number, string]> = {
  'bare-lf': [400, 'header lines must end in CRLF'],
  'bare-cr': [400, 'CR is allowed only before LF'],
  'empty-first-line': [400, 'request line missing'],
  'head-too-large': [431, 'request head too large'],
  'too-many-headers': [431, 'too many header fields'],
  'first-line-too-long': [414, 'request line too long'],
  'line-too-long': [431, 'header line too long'],
}

/**
 * Upgrader is a server's side of the opening handshake (RFC 6455 §4.2), configured once and used
 * for every connection. It parses the raw request in place, calls the callbacks with views into
 * it, and builds the response. It holds no state between calls and keeps no request bytes.
 */
export class Upgrader {
  private readonly options: UpgraderOptions
  private readonly limits: HeadLimits

  /** new Upgrader(options) keeps `options` and its callbacks (not copied) and reads `limits` once, here. */
  constructor(options: UpgraderOptions = {}) {
    this.options = options
    this.limits = { ...defaultHeadLimits, ...options.limits }
  }

  /**
   * upgrade judges the request that starts at `bytes[offset]`. With the head incomplete it
   * returns `incomplete` (call again with the same offset once more bytes are in) unless the
   * bytes so far already break a limit or rule; callbacks run only once the head is complete.
   * Errors other than {@link HandshakeRejection} thrown by callbacks propagate to the caller.
   */
  upgrade(bytes: Uint8Array, offset = 0): UpgradeResult {
    const scan = scanHead(bytes, offset, this.limits)
    if (scan.problem !== null) return rejected(new HandshakeRejection(...scanProblems[scan.problem]))
    if (scan.end === 0) return { kind: 'incomplete' }
    try {
      return this.judge(bytes, offset, scan.end) as UpgradeResult
    } catch (error) {
      if (error instanceof HandshakeRejection) return rejected(error)
      throw error
    }
  }

  /**
   * upgradeExtendedConnect judges a WebSocket request over HTTP/2 (RFC 8441): an extended
   * CONNECT with `:protocol: websocket`, whose header fields `fields` lists flat, names and
   * values in turn, as HPACK decoded them (node:http2's `rawHeaders`). The request's
   * pseudo-headers and connection-specific fields are checked (each RFC 8441 and RFC 9113 §8
   * rule with its status: 405 for a method other than CONNECT, 400 for the rest),
   * then everything above them exactly as {@link Upgrader.upgrade} does for HTTP/1.1, with the
   * same callbacks (views of a head written from `fields`, valid during the call): `onRequest`
   * gets `:path`, `onHost` and `checkOrigin` `:authority`; the head limits apply. There is no
   * Upgrade, Connection, Sec-WebSocket-Key or -Accept: `:protocol` replaces them (RFC 8441 §5).
   * Errors other than {@link HandshakeRejection} thrown by callbacks propagate to the caller.
   */
  upgradeExtendedConnect(fields: readonly string[]): ExtendedConnectResult {
    try {
      const head = extendedConnectHead(fields)
      const scan = scanHead(head, 0, this.limits)
      if (scan.problem !== null) throw new HandshakeRejection(...scanProblems[scan.problem])
      return this.judge(head, 0, scan.end, true) as ExtendedConnectResult
    } catch (error) {
      if (!(error instanceof HandshakeRejection)) throw error
      const headers = http2Fields(error.headers, [])
      headers.push(['content-type', 'text/plain; charset=utf-8'])
      return { kind: 'rejected', status: error.status, headers, body: encoder.encode(error.message), error }
    }
  }

  private judge(bytes: Uint8Array, offset: number, end: number, http2 = false): UpgradeResult | ExtendedConnectResult {
    const options = this.options
    // Request line (RFC 7230 §3.1.1): method SP request-target SP HTTP-version CRLF.
    const lineEnd = bytes.indexOf(0x0d, offset)
    // Methods are case-sensitive (RFC 7230 §3.1.1).
    if (bytes[offset] !== 0x47 || bytes[offset + 1] !== 0x45 || bytes[offset + 2] !== 0x54 || bytes[offset + 3] !== 0x20) {
      const space = bytes.indexOf(0x20, offset)
      const method = space > offset && space < lineEnd ? bytes.subarray(offset, space) : null
      if (method === null || !method.every(isTokenChar)) throw new HandshakeRejection(400, 'malformed request line')
      throw new HandshakeRejection(405, 'a WebSocket handshake is a GET request', [['Allow', 'GET']])
    }
    const targetStart = offset + 4
    const targetEnd = bytes.indexOf(0x20, targetStart)
    if (targetEnd === -1 || targetEnd >= lineEnd || targetEnd === targetStart) throw new HandshakeRejection(400, 'malformed request line')
    for (let i = targetStart; i < targetEnd; i++) {
      // RFC 6455 §3: no fragment identifier.
      if (bytes[i] <= 0x20 || bytes[i] >= 0x7f || bytes[i] === 0x23) throw new HandshakeRejection(400, 'malformed request-target')
    }
    checkVersion(bytes, targetEnd + 1, lineEnd)
    options.onRequest?.(bytes.subarray(targetStart, targetEnd))

    let hostStart = -1
    let hostEnd = -1
    let origin: string | null = null
    let upgrade = false
    let connection = false
    let keyStart = -1
    let keyEnd = -1
    let version: boolean | null = null
    let protocol: string | null = null
    const offers: Extension[] = []
    const field: Field = { nameEnd: 0, valueStart: 0, valueEnd: 0, next: 0 }
    for (let line = lineEnd + 2; line < end - 2; line = field.next) {
      if (!readField(bytes, line, field)) throw new HandshakeRejection(400, 'malformed header line')
      const { nameEnd, valueStart, valueEnd } = field
      if (equalsIgnoreCase(bytes, line, nameEnd, names.host)) {
        if (hostStart !== -1) throw new HandshakeRejection(400, 'duplicate Host header')
        // RFC 7230 §5.4: a Host that is empty or not one host[:port] is a 400.
        if (valueStart === valueEnd || bytes.subarray(valueStart, valueEnd).some((c) => c <= 0x20 || c === 0x2c || c === 0x2f)) {
          throw new HandshakeRejection(400, 'invalid Host header')
        }
        hostStart = valueStart
        hostEnd = valueEnd
        options.onHost?.(bytes.subarray(valueStart, valueEnd))
      } else if (equalsIgnoreCase(bytes, line, nameEnd, names.upgrade)) {
        upgrade ||= hasToken(bytes, valueStart, valueEnd, websocketToken)
      } else if (equalsIgnoreCase(bytes, line, nameEnd, names.connection)) {
        connection ||= hasToken(bytes, valueStart, valueEnd, upgradeToken)
      } else if (equalsIgnoreCase(bytes, line, nameEnd, names.key)) {
        // extendedConnectHead leaves it out of an HTTP/2 request's head.
        if (keyStart !== -1) throw new HandshakeRejection(400, 'duplicate Sec-WebSocket-Key header')
        keyStart = valueStart
        keyEnd = valueEnd
      } else if (equalsIgnoreCase(bytes, line, nameEnd, names.version)) {
        if (version !== null) throw new HandshakeRejection(400, 'duplicate Sec-WebSocket-Version header')
        version = valueEnd - valueStart === 2 && bytes[valueStart] === 0x31 && bytes[valueStart + 1] === 0x33
      } else if (equalsIgnoreCase(bytes, line, nameEnd, names.protocol)) {
        const chosen = this.chooseProtocol(bytes, valueStart, valueEnd, protocol === null)
        protocol ??= chosen
      } else if (equalsIgnoreCase(bytes, line, nameEnd, names.extensions)) {
        if (!parseExtensions(bytes, valueStart, valueEnd, offers)) throw new HandshakeRejection(400, 'malformed Sec-WebSocket-Extensions header')
      } else if (equalsIgnoreCase(bytes, line, nameEnd, names.transferEncoding) ||
        (equalsIgnoreCase(bytes, line, nameEnd, names.contentLength) && !(valueEnd - valueStart === 1 && bytes[valueStart] === 0x30))) {
        // A body would be read as frames: the handshake has none (RFC 6455 §4.1).
        throw new HandshakeRejection(400, 'a WebSocket handshake has no body')
      } else {
        if (equalsIgnoreCase(bytes, line, nameEnd, names.origin)) {
          // RFC 6454 §7.3: a user agent sends at most one Origin.
          if (origin !== null) throw new HandshakeRejection(400, 'duplicate Origin header')
          origin = latin1(bytes, valueStart, valueEnd)
        }
        options.onHeader?.(bytes.subarray(line, nameEnd), bytes.subarray(valueStart, valueEnd))
      }
    }
    if (hostStart === -1) throw new HandshakeRejection(400, 'missing Host header')
    // Over HTTP/2, `:protocol` stands for Upgrade and Connection, and no key is exchanged (RFC 8441 §5).
    if (!upgrade && !http2) throw new HandshakeRejection(400, 'Upgrade header must include "websocket"')
    if (!connection && !http2) throw new HandshakeRejection(400, 'Connection header must include "Upgrade"')
    // RFC 6455 §4.4: an unsupported version is answered with the versions we speak.
    if (version !== true) throw new HandshakeRejection(426, 'unsupported WebSocket version', [['Sec-WebSocket-Version', '13']])
    if (!http2 && (keyStart === -1 || !isBase64Of16Bytes(bytes, keyStart, keyEnd))) throw new HandshakeRejection(400, 'Sec-WebSocket-Key must be base64 of 16 bytes')
    if (options.checkOrigin !== undefined && !options.checkOrigin(origin, latin1(bytes, hostStart, hostEnd))) {
      throw new HandshakeRejection(403, 'origin not allowed')
    }

    const extensions: Extension[] = []
    if (options.negotiate !== undefined) {
      // Offers of one extension are alternatives, best first (RFC 7692 §5.1): once one is
      // accepted, the others of that name are not offered.
      const chosen = new Set<string>()
      for (const offer of offers) {
        if (chosen.has(offer.name)) continue
        const accepted = options.negotiate(offer)
        if (accepted === null) continue
        extensions.push(accepted)
        chosen.add(offer.name)
      }
    }
    if (http2) {
      const headers: [string, string][] = []
      if (protocol !== null) headers.push(['sec-websocket-protocol', protocol])
      if (extensions.length > 0) headers.push(['sec-websocket-extensions', extensions.map(formatExtension).join(', ')])
      return { kind: 'accepted', status: 200, headers: http2Fields(options.onBeforeUpgrade?.() ?? [], headers), protocol, extensions }
    }
    // Header lines the toolkit writes itself: the protocol is a token from the request, and
    // formatExtension refuses anything but tokens.
    let trusted = `Upgrade: websocket\r\nConnection: Upgrade\r\nSec-WebSocket-Accept: ${acceptKey(bytes, keyStart, keyEnd)}\r\n`
    if (protocol !== null) trusted += `Sec-WebSocket-Protocol: ${protocol}\r\n`
    if (extensions.length > 0) trusted += `Sec-WebSocket-Extensions: ${extensions.map(formatExtension).join(', ')}\r\n`
    const extra = options.onBeforeUpgrade?.() ?? []
    return { kind: 'accepted', response: renderResponse(101, extra, '', trusted), protocol, extensions, end }
  }

  /**
   * chooseProtocol checks a Sec-WebSocket-Protocol list (RFC 6455 §4.1: `1#token`) and, when
   * `offer` is true, offers each token to `protocol()`; it returns the first one accepted.
   */
  private chooseProtocol(bytes: Uint8Array, start: number, end: number, offer: boolean): string | null {
    const choose = offer ? this.options.protocol : undefined
    let chosen: string | null = null
    let i = start
    while (i < end) {
      while (i < end && (bytes[i] === 0x20 || bytes[i] === 0x09)) i++
      let j = i
      while (j < end && isTokenChar(bytes[j])) j++
      let next = j
      while (next < end && (bytes[next] === 0x20 || bytes[next] === 0x09)) next++
      if (j === i || (next < end && bytes[next] !== 0x2c)) throw new HandshakeRejection(400, 'malformed Sec-WebSocket-Protocol header')
      if (chosen === null && choose !== undefined && choose(bytes.subarray(i, j))) chosen = latin1(bytes, i, j)
      i = next + 1
    }
    return chosen
  }
}

/**
 * checkVersion accepts HTTP/1.1 and later 1.x versions (RFC 6455 §4.1, RFC 7230 §2.6: a later
 * minor version is read as 1.1); 1.0 and below, and 2 and above (not spoken in HTTP/1 framing),
 * are a 505.
 */
function checkVersion(bytes: Uint8Array, start: number, end: number): void {
  const ok = end - start === 8 && latin1(bytes, start, start + 5) === 'HTTP/' && bytes[start + 6] === 0x2e &&
    bytes[start + 5] >= 0x30 && bytes[start + 5] <= 0x39 && bytes[start + 7] >= 0x30 && bytes[start + 7] <= 0x39
  if (!ok) throw new HandshakeRejection(400, 'malformed HTTP version')
  if (bytes[start + 5] !== 0x31 || bytes[start + 7] < 0x31) {
    throw new HandshakeRejection(505, 'WebSocket needs HTTP/1.1 or later')
  }
}

function rejected(error: HandshakeRejection): UpgradeResult {
  return { kind: 'rejected', response: rejectionResponse(error), error }
}

/**
 * rejectionResponse returns the complete HTTP/1.1 response that refuses an opening handshake
 * with `error` (RFC 6455 §4.2.1): its status, its extra header fields, `Connection: close`, and
 * its message as a `text/plain` body with its Content-Length (RFC 9112 §6.2). The buffer is
 * new, the caller's. It is what {@link Upgrader.upgrade} answers with, for a refusal decided
 * elsewhere (an asynchronous admission check). A header field in `error.headers` that is not a
 * valid field, or that sets the framing or a handshake field, is a TypeError.
 */
export function rejectionResponse(error: HandshakeRejection): Uint8Array {
  return renderResponse(error.status, error.headers, error.message)
}

const encoder = new TextEncoder()

/**
 * http2Fields appends a user's response fields to `into`, lower-cased (RFC 9113 §8.2), each
 * checked by {@link checkResponseField} for HTTP/2 (a TypeError).
 */
function http2Fields(headers: HeaderList, into: [string, string][]): [string, string][] {
  for (const [name, value] of headers) {
    checkResponseField(name, value, true)
    into.push([name.toLowerCase(), value])
  }
  return into
}
