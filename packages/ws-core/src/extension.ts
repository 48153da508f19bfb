import { isTokenChar, latin1 } from './http-head.js'

/**
 * Extension is one element of a Sec-WebSocket-Extensions header (RFC 6455 §9.1): a name and
 * its parameters in order, duplicates kept so that an extension can refuse them (RFC 7692 §7).
 * A parameter with no value has `value` null. Strings are copies: they outlive the request.
 */
export interface Extension {
  /** name is the extension token, such as `permessage-deflate` (RFC 6455 §9.1). */
  name: string
  /** params are the extension's parameters in order, duplicates kept (RFC 6455 §9.1). */
  params: {
    /** name is the parameter's name, such as `server_max_window_bits`. */
    name: string
    /** value is the parameter's value (a quoted-string's unescaped content), or null when it has none. */
    value: string | null
  }[]
}

/**
 * parseExtensions appends to `out` the extensions listed in a Sec-WebSocket-Extensions value,
 * `bytes[start..end)` (RFC 6455 §9.1: `1#extension`, params as token or quoted-string whose
 * unescaped value is a token), and returns false when the value does not follow the grammar.
 * The header may appear several times: call once per line with the same `out`. Reads, never
 * retains, `bytes`.
 */
export function parseExtensions(bytes: Uint8Array, start: number, end: number, out: Extension[]): boolean {
  let i = start
  let sawElement = false
  for (;;) {
    i = skipSpace(bytes, i, end)
    if (i < end && bytes[i] === 0x2c) {
      // Empty list elements are allowed by the #rule (RFC 7230 §7).
      i++
      continue
    }
    if (i === end) return sawElement
    let tokenEnd = skipToken(bytes, i, end)
    if (tokenEnd === i) return false
    const extension: Extension = { name: latin1(bytes, i, tokenEnd), params: [] }
    i = skipSpace(bytes, tokenEnd, end)
    while (i < end && bytes[i] === 0x3b) {
      i = skipSpace(bytes, i + 1, end)
      tokenEnd = skipToken(bytes, i, end)
      if (tokenEnd === i) return false
      const name = latin1(bytes, i, tokenEnd)
      i = skipSpace(bytes, tokenEnd, end)
      let value: string | null = null
      if (i < end && bytes[i] === 0x3d) {
        i = skipSpace(bytes, i + 1, end)
        if (i < end && bytes[i] === 0x22) {
          i++
          let unescaped = ''
          while (i < end && bytes[i] !== 0x22) {
            if (bytes[i] === 0x5c) i++
            if (i === end || !isTokenChar(bytes[i])) return false
            unescaped += String.fromCharCode(bytes[i++])
          }
          if (i === end || unescaped === '') return false
          i++
          value = unescaped
        } else {
          tokenEnd = skipToken(bytes, i, end)
          if (tokenEnd === i) return false
          value = latin1(bytes, i, tokenEnd)
          i = tokenEnd
        }
        i = skipSpace(bytes, i, end)
      }
      extension.params.push({ name, value })
    }
    out.push(extension)
    sawElement = true
    if (i === end) return true
    if (bytes[i] !== 0x2c) return false
    i++
  }
}

function skipSpace(bytes: Uint8Array, i: number, end: number): number {
  while (i < end && (bytes[i] === 0x20 || bytes[i] === 0x09)) i++
  return i
}

function skipToken(bytes: Uint8Array, i: number, end: number): number {
  while (i < end && isTokenChar(bytes[i])) i++
  return i
}

/**
 * formatExtension returns `extension` as a Sec-WebSocket-Extensions element (RFC 6455 §9.1),
 * values as tokens. A name or value that is not a token is a TypeError: it could smuggle
 * another extension or parameter into the header.
 */
export function formatExtension(extension: Extension): string {
  checkToken(extension.name)
  let text = extension.name
  for (const param of extension.params) {
    checkToken(param.name)
    if (param.value !== null) checkToken(param.value)
    text += param.value === null ? `; ${param.name}` : `; ${param.name}=${param.value}`
  }
  return text
}

function checkToken(text: string): void {
  if (text === '' || ![...text].every((c) => isTokenChar(c.charCodeAt(0)))) throw new TypeError(`not a token: ${JSON.stringify(text)}`)
}
