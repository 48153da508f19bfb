import { acceptKey } from './accept.js'
import { base64Encode } from './base64.js'
import { HandshakeError, type HeaderList } from './errors.js'
import { type Extension, formatExtension, parseExtensions } from './extension.js'
import {
  defaultHeadLimits, equalsIgnoreCase, type Field, fieldNames as names, hasToken, type HeadLimits, isTokenChar, latin1, readField,
  scanHead, upgradeToken, websocketToken,
} from './http-head.js'
import { checkHeaderField } from './http-response.js'

/** ClientRequestOptions describes a client's opening handshake request (RFC 6455 §4.1). */
export interface ClientRequestOptions {
  /** Host header value: host, and port when it is not the scheme's default. */
  host: string
  /** Request-target: path and query, starting with "/". */
  path: string
  /** Subprotocols to offer, in order of preference. */
  protocols?: readonly string[] | undefined
  /** Extensions to offer, in order of preference. */
  extensions?: readonly Extension[] | undefined
  /** Extra header fields, such as Origin, Authorization or Cookie. */
  headers?: HeaderList | undefined
}

/**
 * ClientHandshake is a built request and what {@link parseServerResponse} must check the answer
 * against. `request` is a new buffer for the caller to write; `key` is the random
 * Sec-WebSocket-Key sent.
 */
export interface ClientHandshake {
  /** request is the request head (RFC 6455 §4.1), a new buffer for the caller to write as is. */
  request: Uint8Array
  /** key is the random Sec-WebSocket-Key sent, base64 of 16 bytes (RFC 6455 §4.1). */
  key: string
  /** protocols are the subprotocols offered in Sec-WebSocket-Protocol; the server may choose only one of them (RFC 6455 §4.1). */
  protocols: readonly string[]
  /** extensions are the extensions offered in Sec-WebSocket-Extensions; the server may accept only these (RFC 6455 §9.1). */
  extensions: readonly Extension[]
}

/**
 * ServerResponse is an accepted handshake: the subprotocol and extensions the server chose
 * (copies), every header field (names lower-cased), and `end`, the offset just past the response
 * head, where the first frames from the server may already be waiting.
 */
export interface ServerResponse {
  /** protocol is the subprotocol the server chose (a copy), or null for none (RFC 6455 §4.1). */
  protocol: string | null
  /** extensions are the extensions the server accepted, in its order, copies (RFC 6455 §9.1). */
  extensions: Extension[]
  /** headers are every header field of the response, names lower-cased, copies. */
  headers: [string, string][]
  /** end is the offset just past the response head: server frames may already be waiting from there. */
  end: number
}

/**
 * buildClientRequest returns the request bytes of a client's opening handshake (RFC 6455 §4.1)
 * with a fresh Sec-WebSocket-Key of 16 bytes from `crypto.getRandomValues`. Throws a TypeError
 * for a path, protocol or header that could not be sent as is, or an extra header that repeats
 * one the handshake sets (Host, Upgrade, Connection, Sec-WebSocket-*).
 */
export function buildClientRequest(options: ClientRequestOptions): ClientHandshake {
  const { host, path, protocols = [], extensions = [], headers = [] } = options
  if (!/^\/[\x21-\x7e]*$/.test(path)) throw new TypeError(`invalid request path ${JSON.stringify(path)}`)
  const nonce = new Uint8Array(16)
  crypto.getRandomValues(nonce)
  const key = base64Encode(nonce)
  const fields: [string, string][] = [
    ['Host', host],
    ['Upgrade', 'websocket'],
    ['Connection', 'Upgrade'],
    ['Sec-WebSocket-Key', key],
    ['Sec-WebSocket-Version', '13'],
  ]
  checkProtocols(protocols)
  if (protocols.length > 0) fields.push(['Sec-WebSocket-Protocol', protocols.join(', ')])
  if (extensions.length > 0) fields.push(['Sec-WebSocket-Extensions', extensions.map(formatExtension).join(', ')])
  for (const [name] of headers) {
    if (ownFields.has(name.toLowerCase())) throw new TypeError(`header ${name} is set by the handshake`)
  }
  let text = `GET ${path} HTTP/1.1\r\n`
  for (const [name, value] of [...fields, ...headers]) {
    checkHeaderField(name, value)
    text += `${name}: ${value}\r\n`
  }
  return { request: new TextEncoder().encode(`${text}\r\n`), key, protocols, extensions }
}

/** checkProtocols throws a TypeError for a subprotocol that is not a token (RFC 6455 §4.1). */
function checkProtocols(protocols: readonly string[]): void {
  for (const protocol of protocols) {
    if (protocol === '' || ![...protocol].every((c) => isTokenChar(c.charCodeAt(0)))) {
      throw new TypeError(`invalid subprotocol ${JSON.stringify(protocol)}`)
    }
  }
}

/** The fields a client's request sets itself: extra headers may not repeat them. */
const ownFields = new Set(['host', 'upgrade', 'connection', 'sec-websocket-key', 'sec-websocket-version', 'sec-websocket-protocol', 'sec-websocket-extensions'])

/**
 * parseServerResponse reads the server's answer to `handshake` at `bytes[offset]` in place
 * (RFC 6455 §4.1, §4.2.2). It returns null while the head is incomplete, the accepted response
 * once it is, and throws a {@link HandshakeError} otherwise: a status other than 101 (the error
 * keeps status and headers), a missing Upgrade or Connection token, a wrong
 * Sec-WebSocket-Accept, a subprotocol or extension that was not offered, or a head over `limits`.
 */
export function parseServerResponse(
  handshake: ClientHandshake, bytes: Uint8Array, offset = 0, limits: Partial<HeadLimits> = {},
): ServerResponse | null {
  const scan = scanHead(bytes, offset, { ...defaultHeadLimits, ...limits })
  if (scan.problem !== null) throw new HandshakeError(`malformed response head (${scan.problem})`, 0)
  if (scan.end === 0) return null
  const end = scan.end
  const lineEnd = bytes.indexOf(0x0d, offset)
  const line = latin1(bytes, offset, lineEnd)
  // RFC 6455 §4.1 and §4.2.2: the answer is an HTTP/1.1 status line.
  const status = /^HTTP\/1\.1 (\d{3})(?: |$)/.exec(line)
  if (status === null) throw new HandshakeError(`malformed status line ${JSON.stringify(line)}`, 0)
  const code = Number(status[1])

  const headers: [string, string][] = []
  let upgrade = false
  let connection = false
  let accept: string | null = null
  let protocol: string | null = null
  let protocolLines = 0
  const extensions: Extension[] = []
  const fail = (message: string): never => {
    throw new HandshakeError(message, code, headers)
  }
  const field: Field = { nameEnd: 0, valueStart: 0, valueEnd: 0, next: 0 }
  for (let start = lineEnd + 2; start < end - 2; start = field.next) {
    if (!readField(bytes, start, field)) fail('malformed header line')
    const { nameEnd, valueStart, valueEnd } = field
    headers.push([latin1(bytes, start, nameEnd).toLowerCase(), latin1(bytes, valueStart, valueEnd)])
    if (code !== 101) continue
    if (equalsIgnoreCase(bytes, start, nameEnd, names.upgrade)) {
      // §4.1: the value must be "websocket" (ASCII case-insensitive), not merely list it.
      upgrade ||= equalsIgnoreCase(bytes, valueStart, valueEnd, websocketToken)
    } else if (equalsIgnoreCase(bytes, start, nameEnd, names.connection)) {
      connection ||= hasToken(bytes, valueStart, valueEnd, upgradeToken)
    } else if (equalsIgnoreCase(bytes, start, nameEnd, names.accept)) {
      if (accept !== null) fail('duplicate Sec-WebSocket-Accept header')
      accept = latin1(bytes, valueStart, valueEnd)
    } else if (equalsIgnoreCase(bytes, start, nameEnd, names.protocol)) {
      protocolLines++
      protocol = latin1(bytes, valueStart, valueEnd)
    } else if (equalsIgnoreCase(bytes, start, nameEnd, names.extensions)) {
      if (!parseExtensions(bytes, valueStart, valueEnd, extensions)) fail('malformed Sec-WebSocket-Extensions header')
    }
  }
  if (code !== 101) fail(`server answered ${line.slice(9)}`)
  if (!upgrade) fail('Upgrade header must be "websocket"')
  if (!connection) fail('Connection header must include "Upgrade"')
  if (accept !== acceptKey(handshake.key)) fail('Sec-WebSocket-Accept does not match the key')
  checkChoices(handshake, protocol, protocolLines, extensions, fail)
  return { protocol, extensions, headers, end }
}

/**
 * checkChoices fails (RFC 6455 §4.1) when the server chose a subprotocol that was not offered or
 * sent more than one, or an extension that was not offered or twice (RFC 6455 §9.1).
 */
function checkChoices(offer: OfferedChoices, protocol: string | null, protocolLines: number, extensions: readonly Extension[], fail: (message: string) => never): void {
  if (protocolLines > 1 || (protocol !== null && !offer.protocols.includes(protocol))) {
    fail(`server chose a subprotocol that was not offered: ${protocol}`)
  }
  const offered = new Set(offer.extensions.map((e) => e.name))
  const seen = new Set<string>()
  for (const extension of extensions) {
    if (!offered.has(extension.name)) fail(`server chose an extension that was not offered: ${extension.name}`)
    if (seen.has(extension.name)) fail(`server chose extension ${extension.name} twice`)
    seen.add(extension.name)
  }
}

/** OfferedChoices is what a client offered, and what the server's answer is checked against. */
interface OfferedChoices {
  protocols: readonly string[]
  extensions: readonly Extension[]
}

/**
 * ExtendedConnectRequest is a client's WebSocket request over HTTP/2 (RFC 8441 §4, §5), built by
 * {@link buildExtendedConnect}: the fields to send on a new stream, and what
 * {@link parseExtendedConnectResponse} checks the answer against.
 */
export interface ExtendedConnectRequest {
  /**
   * fields are the request's header fields in order, pseudo-headers first, names lower-case
   * (RFC 9113 §8.2, §8.3): new arrays, the caller's (with node:http2,
   * `session.request(Object.fromEntries(fields), { endStream: false })`).
   */
  fields: [string, string][]
  /** protocols are the subprotocols offered in Sec-WebSocket-Protocol; the server may choose only one of them (RFC 6455 §4.1). */
  protocols: readonly string[]
  /** extensions are the extensions offered in Sec-WebSocket-Extensions; the server may accept only these (RFC 6455 §9.1). */
  extensions: readonly Extension[]
}

/**
 * buildExtendedConnect returns a client's WebSocket request over HTTP/2 (RFC 8441 §4, §5): an
 * extended CONNECT (`:method` CONNECT, `:protocol` websocket) with `:scheme` (`https` for
 * wss://, `http` for ws://), `:path` and `:authority` from `options.path` and `options.host`,
 * Sec-WebSocket-Version 13, the offered subprotocols and extensions, and the extra fields
 * lower-cased. There is no key (RFC 8441 §5), and no Host, Upgrade or Connection (RFC 9113
 * §8.2.2, §8.3.1). Throws a TypeError for a path, protocol or field that could not be sent as
 * is, an extra field that repeats one the handshake sets, or a connection-specific one.
 */
export function buildExtendedConnect(options: ClientRequestOptions & { scheme: 'http' | 'https' }): ExtendedConnectRequest {
  const { host, path, protocols = [], extensions = [], headers = [] } = options
  if (!/^\/[\x21-\x7e]*$/.test(path)) throw new TypeError(`invalid request path ${JSON.stringify(path)}`)
  checkHeaderField('host', host)
  const fields: [string, string][] = [
    [':method', 'CONNECT'], [':protocol', 'websocket'], [':scheme', options.scheme], [':path', path], [':authority', host],
    ['sec-websocket-version', '13'],
  ]
  checkProtocols(protocols)
  if (protocols.length > 0) fields.push(['sec-websocket-protocol', protocols.join(', ')])
  if (extensions.length > 0) fields.push(['sec-websocket-extensions', extensions.map(formatExtension).join(', ')])
  for (const [name, value] of headers) {
    const lower = name.toLowerCase()
    if (ownFields.has(lower)) throw new TypeError(`header ${name} is set by the handshake`)
    if (http2ConnectionFields.has(lower)) throw new TypeError(`header ${name} is connection-specific, not allowed in HTTP/2`)
    checkHeaderField(name, value)
    fields.push([lower, value])
  }
  return { fields, protocols, extensions }
}

/** Connection-specific fields, which HTTP/2 forbids (RFC 9113 §8.2.2), that ownFields does not hold already. */
const http2ConnectionFields = new Set(['keep-alive', 'proxy-connection', 'transfer-encoding', 'te'])

/**
 * ExtendedConnectResponse is an accepted WebSocket over HTTP/2: the subprotocol and extensions
 * the server chose (copies) and every response field (names lower-case, `:status` left out).
 */
export interface ExtendedConnectResponse {
  /** protocol is the subprotocol the server chose (a copy), or null for none (RFC 6455 §4.1). */
  protocol: string | null
  /** extensions are the extensions the server accepted, in its order, copies (RFC 6455 §9.1). */
  extensions: Extension[]
  /** headers are the response's fields, names lower-case, pseudo-headers left out. */
  headers: [string, string][]
}

/**
 * parseExtendedConnectResponse checks the server's answer to `request`, an HTTP/2 response of
 * `status` with the fields `rawFields`, flat, names and values in turn as HPACK decoded them
 * (node:http2's `rawHeaders` of the `'response'` event). A 2xx accepts (RFC 8441 §5); anything
 * else, a subprotocol or extension that was not offered (RFC 6455 §4.1, §9.1) or malformed, is a
 * {@link HandshakeError} keeping the status and fields.
 */
export function parseExtendedConnectResponse(request: ExtendedConnectRequest, status: number, rawFields: readonly string[]): ExtendedConnectResponse {
  const headers: [string, string][] = []
  for (let i = 0; i + 1 < rawFields.length; i += 2) {
    if (rawFields[i].charCodeAt(0) !== 0x3a) headers.push([rawFields[i].toLowerCase(), rawFields[i + 1]])
  }
  const fail = (message: string): never => {
    throw new HandshakeError(message, status, headers)
  }
  if (!(status >= 200 && status <= 299)) fail(`server answered ${status}`)
  let protocol: string | null = null
  let protocolLines = 0
  const extensions: Extension[] = []
  for (const [name, value] of headers) {
    if (name === 'sec-websocket-protocol') {
      protocolLines++
      protocol = value
    } else if (name === 'sec-websocket-extensions') {
      const bytes = Uint8Array.from(value, (c) => c.charCodeAt(0))
      if (!parseExtensions(bytes, 0, bytes.length, extensions)) fail('malformed Sec-WebSocket-Extensions header')
    }
  }
  checkChoices(request, protocol, protocolLines, extensions, fail)
  return { protocol, extensions, headers }
}
