const alphabet = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/'

/** base64Encode returns the base64 text (RFC 4648 §4, with padding) of `bytes`, which it only reads. */
export function base64Encode(bytes: Uint8Array): string {
  let text = ''
  let i = 0
  for (; i + 2 < bytes.length; i += 3) {
    const n = (bytes[i] << 16) | (bytes[i + 1] << 8) | bytes[i + 2]
    text += alphabet[n >>> 18] + alphabet[(n >>> 12) & 63] + alphabet[(n >>> 6) & 63] + alphabet[n & 63]
  }
  const rest = bytes.length - i
  if (rest === 1) {
    const n = bytes[i] << 16
    text += alphabet[n >>> 18] + alphabet[(n >>> 12) & 63] + '=='
  } else if (rest === 2) {
    const n = (bytes[i] << 16) | (bytes[i + 1] << 8)
    text += alphabet[n >>> 18] + alphabet[(n >>> 12) & 63] + alphabet[(n >>> 6) & 63] + '='
  }
  return text
}

function isBase64Char(c: number): boolean {
  return (c >= 0x41 && c <= 0x5a) || (c >= 0x61 && c <= 0x7a) || (c >= 0x30 && c <= 0x39) || c === 0x2b || c === 0x2f
}

/**
 * isBase64Of16Bytes reports whether `bytes[start..end)` is the canonical base64 (RFC 4648 §4)
 * of exactly 16 bytes: 22 characters of the alphabet then `==`, the last character carrying no
 * stray bits. That is what RFC 6455 §4.1 requires of Sec-WebSocket-Key. Reads, never copies.
 */
export function isBase64Of16Bytes(bytes: Uint8Array, start: number, end: number): boolean {
  if (end - start !== 24 || bytes[start + 22] !== 0x3d || bytes[start + 23] !== 0x3d) return false
  for (let i = start; i < start + 22; i++) if (!isBase64Char(bytes[i])) return false
  // 16 bytes use 128 of the 132 bits of 22 characters: the last one's low 4 bits must be 0.
  return alphabet.indexOf(String.fromCharCode(bytes[start + 21])) % 16 === 0
}
