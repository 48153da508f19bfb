/**
 * BroadcastTarget is anything a compiled frame can be written to: a socket (`net.Socket`,
 * `tls.TLSSocket`, any Writable) or a {@link BatchWriter}.
 */
export interface BroadcastTarget {
  /** write sends `frame`, a compiled frame shared by every target: it must not be changed. False means backed up. */
  write(frame: Uint8Array): boolean
  /** writableLength is how many bytes already wait to be sent. */
  readonly writableLength: number
}

/** BroadcastOptions configures {@link broadcast}. */
export interface BroadcastOptions<T> {
  /**
   * A target with more than this many bytes already waiting is skipped: one peer that stops
   * reading must not make the sender's memory grow. Default 1 MiB.
   */
  maxBuffered?: number | undefined
  /** Called for each target skipped (close it, count it, or let it catch up later). */
  onSkip?(target: T): void
}

/**
 * broadcast writes the same bytes to every target: frame once, send to many. `frame` is one
 * or more whole frames compiled once, e.g. `compileFrame(newTextFrame('hi'))` from ws-core;
 * unmasked, so only a server may broadcast (RFC 6455 §5.1: clients mask every frame with a
 * fresh key). The bytes are shared by every write and must not change afterwards. Targets
 * backed up beyond `maxBuffered` are skipped and reported to `onSkip`. Returns how many targets
 * were written to.
 */
export function broadcast<T extends BroadcastTarget>(targets: Iterable<T>, frame: Uint8Array, options: BroadcastOptions<T> = {}): number {
  const { maxBuffered = 1024 * 1024, onSkip } = options
  let written = 0
  for (const target of targets) {
    if (target.writableLength > maxBuffered) {
      onSkip?.(target)
      continue
    }
    target.write(frame)
    written++
  }
  return written
}
