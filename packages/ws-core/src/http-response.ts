import type { HeaderList } from './errors.js'
import { isTokenChar } from './extension.js'

const reasonPhrases: Record<number, string> = {
  101: 'Switching Protocols', 400: 'Bad Request', 401: 'Unauthorized', 403: 'Forbidden', 404: 'Not Found',
  405: 'Method Not Allowed', 414: 'URI Too Long', 426: 'Upgrade Required', 429: 'Too Many Requests',
  431: 'Request Header Fields Too Large', 500: 'Internal Server Error', 503: 'Service Unavailable',
  505: 'HTTP Version Not Supported',
}

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
 * renderResponse returns a new buffer holding a complete HTTP/1.1 response head for `status`,
 * the `headers` in order, and `body` (a short text) with its Content-Length. Header fields are
 * checked with {@link checkHeaderField}.
 */
export function renderResponse(status: number, headers: HeaderList, body = ''): Uint8Array {
  let text = `HTTP/1.1 ${status} ${reasonPhrases[status] ?? 'Unknown'}\r\n`
  for (const [name, value] of headers) {
    checkHeaderField(name, value)
    text += `${name}: ${value}\r\n`
  }
  if (status !== 101) {
    text += `Connection: close\r\nContent-Type: text/plain; charset=utf-8\r\nContent-Length: ${new TextEncoder().encode(body).length}\r\n`
  }
  text += `\r\n${body}`
  return new TextEncoder().encode(text)
}
