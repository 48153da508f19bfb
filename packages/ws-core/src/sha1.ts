/**
 * sha1 returns the 20-byte SHA-1 digest (RFC 3174) of `bytes`, which it only reads. ws-core
 * needs it for Sec-WebSocket-Accept (RFC 6455 §4.2.2) and may not use Node's crypto; it is no
 * security primitive here: the accept key only proves the server understood the handshake.
 */
export function sha1(bytes: Uint8Array): Uint8Array {
  const length = bytes.length
  // Message, 0x80, zero padding, 64-bit big-endian bit length: a multiple of 64 bytes.
  const blocks = ((length + 8) >>> 6) + 1
  const padded = new Uint8Array(blocks * 64)
  padded.set(bytes)
  padded[length] = 0x80
  const bits = length * 8
  const end = padded.length
  padded[end - 5] = bits / 0x100000000
  padded[end - 4] = bits >>> 24
  padded[end - 3] = bits >>> 16
  padded[end - 2] = bits >>> 8
  padded[end - 1] = bits
  let h0 = 0x67452301
  let h1 = 0xefcdab89
  let h2 = 0x98badcfe
  let h3 = 0x10325476
  let h4 = 0xc3d2e1f0
  const w = new Int32Array(80)
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
    for (let i = 0; i < 80; i++) {
      let f: number
      let k: number
      if (i < 20) {
        f = (b & c) | (~b & d)
        k = 0x5a827999
      } else if (i < 40) {
        f = b ^ c ^ d
        k = 0x6ed9eba1
      } else if (i < 60) {
        f = (b & c) | (b & d) | (c & d)
        k = 0x8f1bbcdc
      } else {
        f = b ^ c ^ d
        k = 0xca62c1d6
      }
      const temp = (((a << 5) | (a >>> 27)) + f + e + k + w[i]) | 0
      e = d
      d = c
      c = (b << 30) | (b >>> 2)
      b = a
      a = temp
    }
    h0 = (h0 + a) | 0
    h1 = (h1 + b) | 0
    h2 = (h2 + c) | 0
    h3 = (h3 + d) | 0
    h4 = (h4 + e) | 0
  }
  const digest = new Uint8Array(20)
  const words = [h0, h1, h2, h3, h4]
  for (let i = 0; i < 5; i++) {
    digest[i * 4] = words[i] >>> 24
    digest[i * 4 + 1] = words[i] >>> 16
    digest[i * 4 + 2] = words[i] >>> 8
    digest[i * 4 + 3] = words[i]
  }
  return digest
}
