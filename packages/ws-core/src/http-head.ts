/**
 * Byte-level helpers for HTTP/1.1 message heads (RFC 7230 §3), used by both handshakes. They
 * read the caller's bytes in place and keep nothing.
 */

/** HeadLimits bounds what a peer can make the parser hold before the head is complete. */
export interface HeadLimits {
  /** Largest head in bytes, request or status line through the empty line. */
  headBytes: number
  /** Most header fields. */
  headerCount: number
  /** Longest single line in bytes, CRLF excluded. */
  lineLength: number
}

/** defaultHeadLimits: 16 KiB like Node's --max-http-header-size, 100 fields, 8 KiB lines. */
export const defaultHeadLimits: Readonly<HeadLimits> = { headBytes: 16384, headerCount: 100, lineLength: 8192 }

/**
 * HeadScan is what {@link scanHead} found: `end` is the offset just past the empty line (0 while
 * incomplete); `problem` names a limit or syntax rule the bytes already break.
 */
export type HeadScan =
  | { end: number; problem: null }
  | { end: 0; problem: 'bare-lf' | 'bare-cr' | 'empty-first-line' | 'head-too-large' | 'too-many-headers' | 'first-line-too-long' | 'line-too-long' }

/**
 * scanHead looks for the end of an HTTP head starting at `bytes[offset]`. It judges every limit
 * on the bytes it has, so an oversized or malformed head is refused before more is buffered.
 * Lines end in CRLF; a bare LF is refused rather than tolerated (RFC 7230 §3.5 allows either),
 * and so is a CR anywhere else (RFC 9112 §2.2), so that no two parsers on the path disagree on
 * where a header ends.
 */
export function scanHead(bytes: Uint8Array, offset: number, limits: HeadLimits): HeadScan {
  let lineStart = offset
  let lines = 0
  const stop = Math.min(bytes.length, offset + limits.headBytes)
  for (;;) {
    const lf = bytes.indexOf(0x0a, lineStart)
    const lineEnd = lf === -1 || lf >= stop ? stop : lf
    // A CR is allowed only right before the LF (or as the last byte so far, awaiting its LF).
    const cr = bytes.indexOf(0x0d, lineStart)
    if (cr !== -1 && cr < lineEnd - 1) return { end: 0, problem: 'bare-cr' }
    // The line so far, CR excluded once it is there.
    const length = lineEnd - lineStart - (lf !== -1 && lf < stop && lf > lineStart && bytes[lf - 1] === 0x0d ? 1 : 0)
    if (length > limits.lineLength) {
      return { end: 0, problem: lines === 0 ? 'first-line-too-long' : 'line-too-long' }
    }
    if (lf === -1 || lf >= stop) {
      return stop === bytes.length ? { end: 0, problem: null } : { end: 0, problem: 'head-too-large' }
    }
    if (lf === lineStart || bytes[lf - 1] !== 0x0d) return { end: 0, problem: 'bare-lf' }
    if (length === 0) {
      if (lines === 0) return { end: 0, problem: 'empty-first-line' }
      return { end: lf + 1, problem: null }
    }
    lines++
    if (lines - 1 > limits.headerCount) return { end: 0, problem: 'too-many-headers' }
    lineStart = lf + 1
  }
}

/**
 * Field locates one header field line (RFC 7230 §3.2) in a head: the name is
 * `bytes[start..nameEnd)`, the value without surrounding whitespace `bytes[valueStart..valueEnd)`,
 * and `next` is where the following line starts.
 */
export interface Field {
  nameEnd: number
  valueStart: number
  valueEnd: number
  next: number
}

/**
 * readField reads the header field line starting at `start` of a head that {@link scanHead}
 * accepted into `out`, and returns false when it is malformed: no colon, a name that is not a
 * token (whitespace before the colon or obsolete line folding included, §3.2.4), or a control
 * character other than tab in the value.
 */
export function readField(bytes: Uint8Array, start: number, out: Field): boolean {
  const cr = bytes.indexOf(0x0d, start)
  const colon = bytes.indexOf(0x3a, start)
  if (colon === -1 || colon > cr || colon === start) return false
  for (let i = start; i < colon; i++) if (!isTokenChar(bytes[i])) return false
  let valueStart = colon + 1
  let valueEnd = cr
  while (valueStart < valueEnd && (bytes[valueStart] === 0x20 || bytes[valueStart] === 0x09)) valueStart++
  while (valueEnd > valueStart && (bytes[valueEnd - 1] === 0x20 || bytes[valueEnd - 1] === 0x09)) valueEnd--
  for (let i = valueStart; i < valueEnd; i++) {
    const c = bytes[i]
    if ((c < 0x20 && c !== 0x09) || c === 0x7f) return false
  }
  out.nameEnd = colon
  out.valueStart = valueStart
  out.valueEnd = valueEnd
  out.next = cr + 2
  return true
}

/** isTokenChar reports whether `c` may appear in an HTTP token (RFC 7230 §3.2.6 tchar). */
export function isTokenChar(c: number): boolean {
  return (c >= 0x61 && c <= 0x7a) || (c >= 0x41 && c <= 0x5a) || (c >= 0x30 && c <= 0x39) ||
    (c >= 0x23 && c <= 0x27) || c === 0x21 || c === 0x2a || c === 0x2b || c === 0x2d || c === 0x2e ||
    c === 0x5e || c === 0x5f || c === 0x60 || c === 0x7c || c === 0x7e
}

/** asciiLower returns the lower-case ASCII bytes of `text`, for {@link equalsIgnoreCase}. */
export function asciiLower(text: string): Uint8Array {
  return Uint8Array.from(text.toLowerCase(), (c) => c.charCodeAt(0))
}

/** equalsIgnoreCase compares `bytes[start..end)` with lower-case ASCII `lower`, ignoring ASCII case. */
export function equalsIgnoreCase(bytes: Uint8Array, start: number, end: number, lower: Uint8Array): boolean {
  if (end - start !== lower.length) return false
  for (let i = 0; i < lower.length; i++) {
    const c = bytes[start + i]
    if ((c >= 0x41 && c <= 0x5a ? c | 0x20 : c) !== lower[i]) return false
  }
  return true
}

/**
 * hasToken reports whether the comma-separated list `bytes[start..end)` (RFC 7230 §7, `#token`)
 * holds `lower`, ignoring ASCII case and optional whitespace: `Connection: keep-alive, Upgrade`.
 */
export function hasToken(bytes: Uint8Array, start: number, end: number, lower: Uint8Array): boolean {
  let i = start
  while (i < end) {
    while (i < end && (bytes[i] === 0x20 || bytes[i] === 0x09 || bytes[i] === 0x2c)) i++
    let j = i
    while (j < end && bytes[j] !== 0x2c) j++
    let last = j
    while (last > i && (bytes[last - 1] === 0x20 || bytes[last - 1] === 0x09)) last--
    if (equalsIgnoreCase(bytes, i, last, lower)) return true
    i = j
  }
  return false
}

/** latin1 returns `bytes[start..end)` as a string, one character per byte: a copy that outlives the bytes. */
export function latin1(bytes: Uint8Array, start: number, end: number): string {
  let text = ''
  for (let i = start; i < end; i++) text += String.fromCharCode(bytes[i])
  return text
}

/** fieldNames holds the lower-case names of the header fields the handshakes read (RFC 6455 §4, §11.3). */
export const fieldNames = {
  host: asciiLower('Host'),
  origin: asciiLower('Origin'),
  upgrade: asciiLower('Upgrade'),
  connection: asciiLower('Connection'),
  key: asciiLower('Sec-WebSocket-Key'),
  version: asciiLower('Sec-WebSocket-Version'),
  accept: asciiLower('Sec-WebSocket-Accept'),
  protocol: asciiLower('Sec-WebSocket-Protocol'),
  extensions: asciiLower('Sec-WebSocket-Extensions'),
  contentLength: asciiLower('Content-Length'),
  transferEncoding: asciiLower('Transfer-Encoding'),
}

/** websocketToken and upgradeToken are the tokens the Upgrade and Connection fields carry (RFC 6455 §4.1). */
export const websocketToken = asciiLower('websocket')
export const upgradeToken = asciiLower('upgrade')
