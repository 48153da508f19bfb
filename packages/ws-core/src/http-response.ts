import type { HeaderList } from './errors.js'
import { isTokenChar } from './http-head.js'

const reasonPhrases: Record<number, string> = {
  101: 'Switching Protocols', 400: 'Bad Request', 401: 'Unauthorized', 403: 'Forbidden', 404: 'Not Found',
  405: 'Method Not Allowed', 414: 'URI Too Long', 426: 'Upgrade Required', 429: 'Too Many Requests',
  431: 'Request Header Fields Too Large', 500: 'Internal Server Error', 503: 'Service Unavailable',
  505: 'HTTP Version Not Supported',
}

/**
 * Fields a user may not add to a handshake response: the framing of the message (RFC 7230
 * §3.3, a second Content-Length or a Transfer-Encoding would make proxies misread it) and the
 * fields the handshake itself writes (RFC 6455 §4.2.2).
 */
const reservedFields = new Set(['content-length', 'transfer-encoding', 'connection', 'upgrade', 'sec-websocket-accept', 'sec-websocket-protocol', 'sec-websocket-extensions'])

/**
 * checkHeaderField throws a TypeError unless `name` is a token and `value` is printable ASCII
 * or tab (RFC 7230 §3.2): a CR or LF would let a value inject headers.
 */
export function checkHeaderField(name: string, value: string): void {
  if (name.length === 0) throw new TypeError('empty header name')
  for (let i = 0; i < name.length; i++) {
    if (!isTokenChar(name.charCodeAt(i))) throw new TypeError(`invalid header name ${JSON.stringify(name)}`)
  }
  for (let i = 0; i < value.length; i++) {
    const c = value.charCodeAt(i)
    if ((c < 0x20 && c !== 0x09) || c > 0x7e) throw new TypeError(`invalid value for header ${name}`)
  }
}

/**
 * checkResponseField throws a TypeError unless a user's field may go in a handshake's
 * response: {@link checkHeaderField}'s checks, and not a field that sets the message's framing
 * or that the handshake writes itself. Over HTTP/2, Keep-Alive and Proxy-Connection are
 * refused too, as they describe a connection (RFC 9113 §8.2.2; the others are refused here
 * already).
 */
export function checkResponseField(name: string, value: string, http2 = false): void {
  checkHeaderField(name, value)
  const lower = name.toLowerCase()
  if (reservedFields.has(lower)) throw new TypeError(`header ${name} is set by the toolkit`)
  if (http2 && (lower === 'keep-alive' || lower === 'proxy-connection')) throw new TypeError(`header ${name} is connection-specific, not allowed in HTTP/2`)
}

/**
 * renderResponse returns a new buffer holding a complete HTTP/1.1 response head for `status`,
 * the `trusted` header lines (already rendered by the toolkit: `Name: value\r\n`…), the
 * `headers` in order, and `body` (a short text, UTF-8) with its Content-Length. `headers` come
 * from users: they are checked with {@link checkResponseField}, so the head is ASCII, and may not
 * set the message's framing or the handshake's own fields (a TypeError).
 */
export function renderResponse(status: number, headers: HeaderList, body = '', trusted = ''): Uint8Array {
  let text = `HTTP/1.1 ${status} ${reasonPhrases[status] ?? 'Unknown'}\r\n${trusted}`
  for (const [name, value] of headers) {
    checkResponseField(name, value)
    text += `${name}: ${value}\r\n`
  }
  const bodyBytes = body === '' ? empty : encoder.encode(body)
  if (status !== 101) {
    text += `Connection: close\r\nContent-Type: text/plain; charset=utf-8\r\nContent-Length: ${bodyBytes.length}\r\n`
  }
  text += '\r\n'
  // ASCII by construction: a byte per character, without TextEncoder's cost on short strings.
  const response = new Uint8Array(text.length + bodyBytes.length)
  for (let i = 0; i < text.length; i++) response[i] = text.charCodeAt(i)
  response.set(bodyBytes, text.length)
  return response
}

const encoder = new TextEncoder()
const empty = new Uint8Array(0)
