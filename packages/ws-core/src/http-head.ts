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
  | { end: 0; problem: 'bare-lf' | 'empty-first-line' | 'head-too-large' | 'too-many-headers' | 'first-line-too-long' | 'line-too-long' }

/**
 * scanHead looks for the end of an HTTP head starting at `bytes[offset]`. It judges every limit
 * on the bytes it has, so an oversized or malformed head is refused before more is buffered.
 * Lines end in CRLF; a bare LF is refused rather than tolerated (RFC 7230 §3.5 allows either),
 * so that no two parsers on the path disagree on where a header ends.
 */
export function scanHead(bytes: Uint8Array, offset: number, limits: HeadLimits): HeadScan {
  let lineStart = offset
  let lines = 0
  const stop = Math.min(bytes.length, offset + limits.headBytes)
  for (;;) {
    const lf = bytes.indexOf(0x0a, lineStart)
    const lineEnd = lf === -1 || lf >= stop ? stop : lf
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
