/** windowSize is DEFLATE's largest window: 32 KiB (RFC 1951 §2, 15 bits). */
export const windowSize = 32768

/**
 * History keeps the last 32 KiB of a decompressed stream, contiguous, to restart an inflater
 * with it as its dictionary (RFC 7692 §7.2.3.4: after a BFINAL block, or for an engine that
 * inflates each message on its own). It owns its buffer: `append` copies, `view` is valid
 * until the next `append`.
 */
export class History {
  /** Twice the window, so that appends move the kept bytes only once per 32 KiB. */
  private readonly buffer = new Uint8Array(2 * windowSize)
  private end = 0

  append(chunk: Uint8Array): void {
    const length = chunk.length
    if (length >= windowSize) {
      this.buffer.set(chunk.subarray(length - windowSize), 0)
      this.end = windowSize
      return
    }
    if (this.end + length > this.buffer.length) {
      const keep = windowSize - length
      this.buffer.copyWithin(0, this.end - keep, this.end)
      this.end = keep
    }
    this.buffer.set(chunk, this.end)
    this.end += length
  }

  /** view is the last 32 KiB (or less, early in the stream), oldest byte first. */
  view(): Uint8Array {
    return this.buffer.subarray(Math.max(0, this.end - windowSize), this.end)
  }
}
