import { cipher } from '@ws-toolkit/ws-core'

/**
 * The compiled form of simd-cipher.wat beside this file (146 bytes): one exported function,
 * `xor(length, key)`, over its own 128 KiB memory.
 */
const wasm = Buffer.from('AGFzbQEAAAABBgFgAn9/AAMCAQAFAwEAAgcQAgZtZW1vcnkCAAN4b3IAAAplAWMCAX8BeyAB/REhAwJAA0AgAiAATw0BIAIgAv0ABAAgA/1R/QsEACACIAL9AAQQIAP9Uf0LBBAgAiAC/QAEICAD/VH9CwQgIAIgAv0ABDAgA/1R/QsEMCACQcAAaiECDAALCws=', 'base64')
const instance = new WebAssembly.Instance(new WebAssembly.Module(wasm), {})
const xor = instance.exports.xor as (length: number, key: number) => void
/** The module's memory; it never grows, so this ArrayBuffer stays its memory. */
const scratch = (instance.exports.memory as WebAssembly.Memory).buffer
const memory = new Uint8Array(scratch)
/** Bytes masked per pass through the module's memory. */
const block = 65536
/** The module's first `block` bytes, where a whole block lies after masking. */
const wholeBlock = new Uint8Array(scratch, 0, block)

/**
 * simdThreshold: payloads shorter than this go to ws-core's cipher (RFC 6455 §5.3), for which
 * the copies in and out of WebAssembly memory cost more than they save (bench/cipher.ts: the
 * two break even between 80 and 96 bytes).
 */
export const simdThreshold = 96

/**
 * simdCipher is ws-core's {@link cipher} (RFC 6455 §5.3, same arguments, same result, the
 * payload changed in place) with the XOR done 16 bytes at a time by WebAssembly SIMD, which
 * Node.js has from version 16. WebAssembly can only reach its own memory, so each block of up
 * to 64 KiB is copied in with one `TypedArray.set`, masked there, and copied back with another
 * from a view of the module's memory (the one object a call makes below 64 KiB). That is three
 * passes over the bytes where a native addon makes one. On bench/cipher.ts it keeps up with
 * `bufferutil` to a few hundred bytes, runs at 0.75-0.9 times it to 16 KiB and at half to two
 * thirds from 64 KiB, and at three times ws-core's typed-array loop from 4 KiB. ws-util masks
 * and unmasks with it; ws-core stays free of WebAssembly, so it runs where compiling it is not
 * allowed.
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
  // Blocks are multiples of 4 bytes long, so the key lines up the same way in each.
  let start = 0
  for (; length - start > block; start += block) {
    memory.set(payload.subarray(start, start + block))
    xor(block, key)
    payload.set(wholeBlock, start)
  }
  const rest = length - start
  memory.set(start === 0 ? payload : payload.subarray(start))
  // The module masks 64 bytes a step; past `rest` it masks bytes that are not copied back.
  xor((rest + 63) & ~63, key)
  payload.set(new Uint8Array(scratch, 0, rest), start)
}
