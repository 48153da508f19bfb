/**
 * RingHistory keeps the last `size` bytes of a decompressed stream (the peer's window, RFC
 * 7692 §7.1.2: `2^windowBits`) in a ring of at most that size, grown with a short stream, for
 * an inflater that needs them only to start a new stream that continues the old one: after a
 * BFINAL block (RFC 7692 §7.2.3.4, which peers rarely send) or after `release`. Appends copy
 * into the ring; `copy()` lays the bytes out in order in a new buffer, at a restart only.
 * It owns its ring; `copy()`'s result is the caller's.
 */
export class RingHistory {
  /** The most bytes kept: the window. */
  private readonly size: number
  /** Grows with the stream up to `size` (a short stream holds what it sent, not a whole window). */
  private ring = new Uint8Array(0)
  /** Where the next byte goes. */
  private at = 0
  /** The ring has wrapped: every byte of it is history. */
  private full = false

  /** new RingHistory(size) keeps the last `size` bytes. */
  constructor(size: number) {
    this.size = size
  }

  /** append adds a stream's next bytes (copied; `chunk` is not kept). */
  append(chunk: Uint8Array): void {
    const size = this.size
    if (chunk.length >= size) {
      this.grow(size)
      this.ring.set(chunk.subarray(chunk.length - size))
      this.at = 0
      this.full = true
      return
    }
    if (!this.full && this.at + chunk.length <= size) {
      // Not wrapped yet: the bytes lie in order from 0.
      if (this.at + chunk.length > this.ring.length) this.grow(Math.min(size, Math.max(2 * this.ring.length, this.at + chunk.length)))
      this.ring.set(chunk, this.at)
      this.at += chunk.length
      if (this.at === size) {
        this.at = 0
        this.full = true
      }
      return
    }
    this.grow(size)
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
    const out = new Uint8Array(this.size)
    out.set(this.ring.subarray(this.at), 0)
    out.set(this.ring.subarray(0, this.at), this.size - this.at)
    return out
  }

  /** grow makes the ring `length` bytes long, keeping its bytes (only before it wraps, or to full size). */
  private grow(length: number): void {
    if (this.ring.length >= length) return
    const grown = new Uint8Array(length)
    grown.set(this.ring)
    this.ring = grown
  }
}
