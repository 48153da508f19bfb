/**
 * RingHistory keeps the last `size` bytes of a decompressed stream (the peer's window, RFC
 * 7692 §7.1.2: `2^windowBits`) in a ring of exactly that size, for an inflater that needs them
 * only to restart after a BFINAL block (RFC 7692 §7.2.3.4), which peers rarely send: appends
 * copy into the ring, and `copy()` lays the bytes out in order in a new buffer, on restart only.
 * It owns its ring; `copy()`'s result is the caller's.
 */
export class RingHistory {
  private readonly ring: Uint8Array
  /** Where the next byte goes. */
  private at = 0
  /** The ring has wrapped: every byte of it is history. */
  private full = false

  /** new RingHistory(size) keeps the last `size` bytes. */
  constructor(size: number) {
    this.ring = new Uint8Array(size)
  }

  /** append adds a stream's next bytes (copied; `chunk` is not kept). */
  append(chunk: Uint8Array): void {
    const size = this.ring.length
    if (chunk.length >= size) {
      this.ring.set(chunk.subarray(chunk.length - size))
      this.at = 0
      this.full = true
      return
    }
    const first = Math.min(chunk.length, size - this.at)
    this.ring.set(chunk.subarray(0, first), this.at)
    if (first < chunk.length) {
      this.ring.set(chunk.subarray(first), 0)
      this.full = true
    }
    this.at = (this.at + chunk.length) % size
    if (this.at === 0 && chunk.length > 0) this.full = true
  }

  /** copy returns the kept bytes, oldest first, in a new buffer. */
  copy(): Uint8Array {
    if (!this.full) return this.ring.slice(0, this.at)
    const out = new Uint8Array(this.ring.length)
    out.set(this.ring.subarray(this.at), 0)
    out.set(this.ring.subarray(0, this.at), this.ring.length - this.at)
    return out
  }
}
