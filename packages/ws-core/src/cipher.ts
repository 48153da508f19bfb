const littleEndian = new Uint8Array(new Uint32Array([1]).buffer)[0] === 1

/**
 * Payloads shorter than this are masked a byte at a time: making the word view costs about as
 * much as masking this many bytes (bench/cipher.ts).
 */
const wordThreshold = 96

/**
 * cipher XORs `payload` in place with the masking key `mask` (RFC 6455 §5.3), which masks and
 * unmasks alike. `mask` is the 32-bit key in wire order ({@link Header.mask}); `offset` is how
 * many bytes of the same frame's payload came before `payload`, so a payload that arrives in
 * chunks can be unmasked chunk by chunk: `cipher(chunk, mask, bytesSoFar)`.
 *
 * The bytes are the caller's and are changed where they lie; nothing is copied. Long payloads
 * are processed a 32-bit word at a time through an aligned view of the same memory.
 */
export function cipher(payload: Uint8Array, mask: number, offset: number): void {
  const length = payload.length
  if (mask === 0 || length === 0) return
  let i = 0
  if (length >= wordThreshold) {
    // Bytes up to the first 4-byte boundary of the underlying memory.
    const head = (4 - (payload.byteOffset & 3)) & 3
    for (; i < head; i++) payload[i] ^= mask >>> ((3 - ((offset + i) & 3)) << 3)
    const words = (length - head) >>> 2
    // The key as it lines up with the first aligned word, in the platform's byte order.
    const shift = ((offset + head) & 3) << 3
    let key = shift === 0 ? mask : (mask << shift) | (mask >>> (32 - shift))
    if (littleEndian) {
      key = ((key & 0xff) << 24) | ((key & 0xff00) << 8) | ((key >>> 8) & 0xff00) | (key >>> 24)
    }
    key |= 0
    const view = new Int32Array(payload.buffer, payload.byteOffset + head, words)
    const unrolled = words & ~3
    let w = 0
    for (; w < unrolled; w += 4) {
      view[w] ^= key
      view[w + 1] ^= key
      view[w + 2] ^= key
      view[w + 3] ^= key
    }
    for (; w < words; w++) view[w] ^= key
    i = head + (words << 2)
  }
  // The key bytes for positions i, i+1, i+2, i+3 of the payload.
  const shift = ((offset + i) & 3) << 3
  const key = shift === 0 ? mask : (mask << shift) | (mask >>> (32 - shift))
  const k0 = key >>> 24
  const k1 = (key >>> 16) & 0xff
  const k2 = (key >>> 8) & 0xff
  const k3 = key & 0xff
  const unrolled = i + ((length - i) & ~3)
  for (; i < unrolled; i += 4) {
    payload[i] ^= k0
    payload[i + 1] ^= k1
    payload[i + 2] ^= k2
    payload[i + 3] ^= k3
  }
  if (i < length) payload[i++] ^= k0
  if (i < length) payload[i++] ^= k1
  if (i < length) payload[i] ^= k2
}
