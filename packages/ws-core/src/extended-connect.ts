import { HandshakeRejection } from './errors.js'
import { isTokenChar } from './http-head.js'

/**
 * extendedConnectHead checks the header fields of an HTTP/2 extended CONNECT request
 * (RFC 8441 §4, §5) and writes the request as an HTTP/1.1 head, so that the Upgrader judges it
 * with the very checks and callbacks of the HTTP/1.1 handshake: `GET <:path> HTTP/1.1`, `Host:
 * <:authority>`, then every regular field in order. `fields` is a flat list of names and values
 * as HPACK decoded them (Node's `rawHeaders`: `[':method', 'CONNECT', ':protocol', 'websocket',
 * …]`). It throws a {@link HandshakeRejection} for what RFC 8441 or RFC 9113 §8 rules out:
 *
 * - `:method` other than CONNECT (405, `Allow: CONNECT`); no `:protocol` (400), or one other than
 *   `websocket` (400); no `:scheme`, `:path` (RFC 8441 §4) or `:authority` (400);
 * - a pseudo-header repeated, unknown, empty, or after a regular field (RFC 9113 §8.3);
 * - a field name not lower-case token characters, a value with characters outside latin1 or
 *   control characters but tab (RFC 9113 §8.2.1: such a request is malformed), so nothing can
 *   be smuggled into the head written here;
 * - a connection-specific field (RFC 9113 §8.2.2: Connection, Upgrade, Keep-Alive,
 *   Proxy-Connection, Transfer-Encoding, and TE other than `trailers`), and a Host that names
 *   another authority than `:authority` (RFC 9113 §8.3.1).
 *
 * A Host equal to `:authority` is dropped (the head carries one), and Sec-WebSocket-Key is not
 * read (RFC 8441 §5: the key and accept exchange is superseded by `:protocol`).
 */
export function extendedConnectHead(fields: readonly string[]): Uint8Array {
  let method: string | null = null
  let protocol: string | null = null
  let scheme: string | null = null
  let path: string | null = null
  let authority: string | null = null
  let host: string | null = null
  let regular = false
  let lines = ''
  for (let i = 0; i + 1 < fields.length; i += 2) {
    const name = fields[i]
    const value = fields[i + 1]
    if (name.charCodeAt(0) === 0x3a) {
      if (regular) throw new HandshakeRejection(400, `pseudo-header ${name} after a regular field`)
      if (value === '') throw new HandshakeRejection(400, `empty ${name}`)
      if (name === ':method' && method === null) method = value
      else if (name === ':protocol' && protocol === null) protocol = value
      else if (name === ':scheme' && scheme === null) scheme = value
      else if (name === ':path' && path === null) path = value
      else if (name === ':authority' && authority === null) authority = value
      else throw new HandshakeRejection(400, `${name} is repeated or not a request pseudo-header`)
      continue
    }
    regular = true
    checkField(name, value)
    if (connectionSpecific.has(name) && !(name === 'te' && value === 'trailers')) {
      throw new HandshakeRejection(400, `${name} is connection-specific, not allowed in HTTP/2`)
    }
    if (name === 'host') {
      if (host !== null) throw new HandshakeRejection(400, 'duplicate Host header')
      host = value
    } else if (name !== 'sec-websocket-key') {
      lines += `${name}: ${value}\r\n`
    }
  }
  if (method !== 'CONNECT') {
    throw new HandshakeRejection(405, 'a WebSocket over HTTP/2 is an extended CONNECT request (RFC 8441 §4)', [['Allow', 'CONNECT']])
  }
  if (protocol === null) throw new HandshakeRejection(400, 'missing :protocol: a CONNECT without it is not a WebSocket')
  if (protocol.toLowerCase() !== 'websocket') throw new HandshakeRejection(400, ':protocol is not websocket')
  if (scheme === null || path === null) throw new HandshakeRejection(400, 'an extended CONNECT needs :scheme and :path (RFC 8441 §4)')
  if (authority === null) throw new HandshakeRejection(400, 'missing :authority')
  checkField(':authority', authority)
  checkField(':path', path)
  if (host !== null && host.toLowerCase() !== authority.toLowerCase()) throw new HandshakeRejection(400, 'Host differs from :authority')
  const text = `GET ${path} HTTP/1.1\r\nhost: ${authority}\r\n${lines}\r\n`
  // latin1 by the checks above: a byte per character.
  const head = new Uint8Array(text.length)
  for (let i = 0; i < text.length; i++) head[i] = text.charCodeAt(i)
  return head
}

/** Fields that describe a connection, not a request: malformed in HTTP/2 (RFC 9113 §8.2.2). */
const connectionSpecific = new Set(['connection', 'upgrade', 'keep-alive', 'proxy-connection', 'transfer-encoding', 'te'])

/**
 * checkField refuses a name that is empty or not lower-case token characters (a pseudo-header's
 * name is checked by its caller) and a value with a control character but tab, or a character
 * above U+00FF (RFC 9113 §8.2.1).
 */
function checkField(name: string, value: string): void {
  if (name.charCodeAt(0) !== 0x3a) {
    if (name.length === 0) throw new HandshakeRejection(400, 'empty header name')
    for (let i = 0; i < name.length; i++) {
      const c = name.charCodeAt(i)
      if (!isTokenChar(c) || (c >= 0x41 && c <= 0x5a)) throw new HandshakeRejection(400, `malformed header name ${JSON.stringify(name)}`)
    }
  }
  for (let i = 0; i < value.length; i++) {
    const c = value.charCodeAt(i)
    if ((c < 0x20 && c !== 0x09) || c === 0x7f || c > 0xff) throw new HandshakeRejection(400, `malformed value of ${name}`)
  }
}
