// Scratch space, reused: the message schedule and a padded buffer big enough for an accept key
// input (24 key bytes + 36 GUID bytes fit in two 64-byte blocks).
const schedule = new Int32Array(80)
const scratch = new Uint8Array(128)

/**
 * sha1 returns the 20-byte SHA-1 digest (RFC 3174) of `bytes`, which it only reads. ws-core
 * needs it for Sec-WebSocket-Accept (RFC 6455 §4.2.2) and may not use Node's crypto; it is no
 * security primitive here: the accept key only proves the server understood the handshake.
 */
export function sha1(bytes: Uint8Array): Uint8Array {
  const length = bytes.length
  // Message, 0x80, zero padding, 64-bit big-endian bit length: a multiple of 64 bytes.
  const end = (((length + 8) >>> 6) + 1) * 64
  const padded = end <= scratch.length ? scratch.fill(0, length, end) : new Uint8Array(end)
  padded.set(bytes)
  padded[length] = 0x80
  const bits = length * 8
  padded[end - 5] = bits / 0x100000000
  padded[end - 4] = bits >>> 24
  padded[end - 3] = bits >>> 16
  padded[end - 2] = bits >>> 8
  padded[end - 1] = bits
  let h0 = 0x67452301
  let h1 = 0xefcdab89 | 0
  let h2 = 0x98badcfe | 0
  let h3 = 0x10325476
  let h4 = 0xc3d2e1f0 | 0
  const w = schedule
  for (let block = 0; block < end; block += 64) {
    for (let i = 0; i < 16; i++) {
      const p = block + i * 4
      w[i] = (padded[p] << 24) | (padded[p + 1] << 16) | (padded[p + 2] << 8) | padded[p + 3]
    }
    for (let i = 16; i < 80; i++) {
      const x = w[i - 3] ^ w[i - 8] ^ w[i - 14] ^ w[i - 16]
      w[i] = (x << 1) | (x >>> 31)
    }
    let a = h0
    let b = h1
    let c = h2
    let d = h3
    let e = h4
    let i = 0
    // Four rounds of 20 with their own function and constant: no branch per step.
    for (; i < 20; i++) {
      const t = (((a << 5) | (a >>> 27)) + ((b & c) | (~b & d)) + e + 0x5a827999 + w[i]) | 0
      e = d; d = c; c = (b << 30) | (b >>> 2); b = a; a = t
    }
    for (; i < 40; i++) {
      const t = (((a << 5) | (a >>> 27)) + (b ^ c ^ d) + e + 0x6ed9eba1 + w[i]) | 0
      e = d; d = c; c = (b << 30) | (b >>> 2); b = a; a = t
    }
    for (; i < 60; i++) {
      const t = (((a << 5) | (a >>> 27)) + ((b & c) | (b & d) | (c & d)) + e + 0x8f1bbcdc + w[i]) | 0
      e = d; d = c; c = (b << 30) | (b >>> 2); b = a; a = t
    }
    for (; i < 80; i++) {
      const t = (((a << 5) | (a >>> 27)) + (b ^ c ^ d) + e + 0xca62c1d6 + w[i]) | 0
      e = d; d = c; c = (b << 30) | (b >>> 2); b = a; a = t
    }
    h0 = (h0 + a) | 0
    h1 = (h1 + b) | 0
    h2 = (h2 + c) | 0
    h3 = (h3 + d) | 0
    h4 = (h4 + e) | 0
  }
  const digest = new Uint8Array(20)
  writeWord(digest, 0, h0)
  writeWord(digest, 4, h1)
  writeWord(digest, 8, h2)
  writeWord(digest, 12, h3)
  writeWord(digest, 16, h4)
  return digest
}

function writeWord(bytes: Uint8Array, at: number, word: number): void {
  bytes[at] = word >>> 24
  bytes[at + 1] = word >>> 16
  bytes[at + 2] = word >>> 8
  bytes[at + 3] = word
}
