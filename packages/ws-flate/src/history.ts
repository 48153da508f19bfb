/** windowSize is DEFLATE's largest window: 32 KiB (RFC 1951 §2, 15 bits). */
export const windowSize = 32768

/** working is the buffer's size while appending: twice the window, so that appends move the kept bytes only once per 32 KiB. */
const working = 2 * windowSize

/**
 * History keeps the last 32 KiB of a decompressed stream, contiguous, to restart an inflater
 * with it as its dictionary (RFC 7692 §7.2.3.4: after a BFINAL block, or for an engine that
 * inflates each message on its own). It owns its buffer: `append` copies, `view` is valid
 * until the next `append` or `compact`. It holds nothing until the first append.
 */
export class History {
  /** `working` bytes while appending; exactly the kept bytes after `compact`. */
  private buffer = new Uint8Array(0)
  private end = 0

  /** append adds the stream's next bytes (copied). */
  append(chunk: Uint8Array): void {
    if (this.buffer.length < working) {
      const grown = new Uint8Array(working)
      grown.set(this.buffer.subarray(0, this.end))
      this.buffer = grown
    }
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

  /** compact keeps the window in a buffer of exactly its size until the next append (for an idle connection). */
  compact(): void {
    if (this.buffer.length === this.end && this.end <= windowSize) return // compact already
    this.buffer = this.view().slice()
    this.end = this.buffer.length
  }

  /** view is the last 32 KiB (or less, early in the stream), oldest byte first. */
  view(): Uint8Array {
    return this.buffer.subarray(Math.max(0, this.end - windowSize), this.end)
  }
}
