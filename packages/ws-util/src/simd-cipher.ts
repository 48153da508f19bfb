import { cipher } from '@ws-toolkit/ws-core'

/**
 * The compiled form of simd-cipher.wat beside this file (146 bytes): one exported function,
 * `xor(length, key)`, over its own 128 KiB memory.
 */
const wasm = Buffer.from('AGFzbQEAAAABBgFgAn9/AAMCAQAFAwEAAgcQAgZtZW1vcnkCAAN4b3IAAAplAWMCAX8BeyAB/REhAwJAA0AgAiAATw0BIAIgAv0ABAAgA/1R/QsEACACIAL9AAQQIAP9Uf0LBBAgAiAC/QAEICAD/VH9CwQgIAIgAv0ABDAgA/1R/QsEMCACQcAAaiECDAALCws=', 'base64')
const instance = new WebAssembly.Instance(new WebAssembly.Module(wasm), {})
const xor = instance.exports.xor as (length: number, key: number) => void
/** The module's memory as a Buffer, so that blocks are copied in and out by offsets (Buffer.copy). */
const memory = Buffer.from((instance.exports.memory as WebAssembly.Memory).buffer)
const copy = Buffer.prototype.copy
/** Bytes masked per pass through the module's memory. */
const block = 65536

/**
 * simdThreshold: payloads shorter than this go to ws-core's cipher, for which the copies in
 * and out of WebAssembly memory cost more than they save (bench/cipher.ts).
 */
export const simdThreshold = 512

/**
 * simdCipher is ws-core's {@link cipher} (RFC 6455 §5.3, same arguments, same result, the
 * payload changed in place) with the XOR done 16 bytes at a time by WebAssembly SIMD, which
 * Node.js has from version 16. WebAssembly can only reach its own memory, so each block of up
 * to 64 KiB is copied in, masked and copied back; even so it runs at several times the speed
 * of the best typed-array loop (bench/cipher.ts). ws-util masks and unmasks with it; ws-core
 * stays free of WebAssembly, so it runs where compiling it is not allowed.
 */
export function simdCipher(payload: Uint8Array, mask: number, offset: number): void {
  const length = payload.length
  if (length < simdThreshold || mask === 0) {
    cipher(payload, mask, offset)
    return
  }
  // The key as it lines up with the payload's first byte, as a little-endian word: WebAssembly
  // reads memory little-endian whatever the machine.
  const shift = (offset & 3) << 3
  const rotated = shift === 0 ? mask : (mask << shift) | (mask >>> (32 - shift))
  const key = (rotated >>> 24) | ((rotated >>> 8) & 0xff00) | ((rotated << 8) & 0xff0000) | (rotated << 24)
  for (let start = 0; start < length; start += block) {
    // Blocks are multiples of 4 bytes long, so the key lines up the same way in each.
    const end = Math.min(start + block, length)
    copy.call(payload, memory, 0, start, end)
    xor((end - start + 63) & ~63, key)
    memory.copy(payload, start, 0, end - start)
  }
}
